import type { BasePoint } from '../../gateway/config/point-schema.js';
import { commOkPoint } from '../shared/diagnostics.js';

export { commOkPointId } from '../shared/diagnostics.js';

/** `<device>.comm_ok`: false while the broker link is down or the device has gone silent. */
export function diagnosticPoints(device: Parameters<typeof commOkPoint>[0]): BasePoint[] {
  return [commOkPoint(device, 'MQTT')];
}
