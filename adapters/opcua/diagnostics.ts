import type { BasePoint } from '../../gateway/config/point-schema.js';

/** Id of the synthetic communication-health point of an OPC UA device (same convention as Modbus). */
export function commOkPointId(deviceId: string): string {
  return `${deviceId}.comm_ok`;
}

/**
 * Synthetic points an OPC UA device publishes besides its configured ones. `<device>.comm_ok` is
 * true while the session and its subscription (or polling) deliver, false while the server is
 * unreachable, refuses the connection (certificate, user) or has gone silent; its quality is always
 * Good, so a `discrete` rule with alarmWhen: false alarms on it.
 */
export function diagnosticPoints(device: { id: string; name?: string | undefined; points?: readonly { area?: string; equipment?: string | undefined }[] }): BasePoint[] {
  const first = device.points?.[0];
  return [
    {
      id: commOkPointId(device.id),
      name: `${device.name ?? device.id} 通讯状态`,
      unit: '',
      area: first?.area ?? 'default',
      equipment: first?.equipment ?? device.name ?? device.id,
      description: `OPC UA 通讯正常 (true) / 中断 (false) of device ${device.id}`,
    },
  ];
}
