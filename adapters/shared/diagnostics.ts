import type { BasePoint } from '../../gateway/config/point-schema.js';

/** Id of the synthetic communication-health point of a device. */
export function commOkPointId(deviceId: string): string {
  return `${deviceId}.comm_ok`;
}

/**
 * The `<device>.comm_ok` point an adapter publishes besides the configured ones: true while the
 * device delivers, false while it is unreachable or silent. Its quality is always Good, so a
 * `discrete` rule with alarmWhen: false alarms on it. It takes the area and equipment of the device's
 * first point, so the alarm shows on the console that watches the device.
 */
export function commOkPoint(
  device: { id: string; name?: string | undefined; points?: readonly { area?: string; equipment?: string | undefined }[] },
  protocol: string,
): BasePoint {
  const first = device.points?.[0];
  return {
    id: commOkPointId(device.id),
    name: `${device.name ?? device.id} 通讯状态`,
    unit: '',
    area: first?.area ?? 'default',
    equipment: first?.equipment ?? device.name ?? device.id,
    description: `${protocol} 通讯正常 (true) / 中断 (false) of device ${device.id}`,
  };
}
