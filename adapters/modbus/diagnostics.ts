import type { BasePoint } from '../../gateway/config/point-schema.js';

/** Id of the synthetic communication-health point of a device. */
export function commOkPointId(deviceId: string): string {
  return `${deviceId}.comm_ok`;
}

/**
 * Synthetic points a Modbus device publishes besides its configured ones. `<device>.comm_ok` is
 * true while every unit id of the device answers and false when the link is down or a slave is
 * silent; its quality is always Good, so a `discrete` rule with alarmWhen: false alarms on it.
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
      description: `Modbus 通讯正常 (true) / 中断 (false) of device ${device.id}`,
    },
  ];
}
