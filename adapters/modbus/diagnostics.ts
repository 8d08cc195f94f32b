import type { BasePoint } from '../../gateway/config/point-schema.js';
import { commOkPoint } from '../shared/diagnostics.js';

export { commOkPointId } from '../shared/diagnostics.js';

/**
 * Synthetic points a Modbus device publishes: `<device>.comm_ok`, false when the link is down or a
 * slave of the device is silent.
 */
export function diagnosticPoints(device: Parameters<typeof commOkPoint>[0]): BasePoint[] {
  return [commOkPoint(device, 'Modbus')];
}
