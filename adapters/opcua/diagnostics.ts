import type { BasePoint } from '../../gateway/config/point-schema.js';
import { commOkPoint } from '../shared/diagnostics.js';

export { commOkPointId } from '../shared/diagnostics.js';

/**
 * Synthetic points an OPC UA device publishes: `<device>.comm_ok`, false while the server is
 * unreachable, refuses the connection (certificate, user) or has gone silent.
 */
export function diagnosticPoints(device: Parameters<typeof commOkPoint>[0]): BasePoint[] {
  return [commOkPoint(device, 'OPC UA')];
}
