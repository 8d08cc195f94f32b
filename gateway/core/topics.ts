/** The local MQTT topics of DESIGN.md. */
export const topics = {
  reading: (gw: string, point: string) => `gw/${gw}/readings/${point}`,
  alarm: (gw: string, alarmId: string) => `gw/${gw}/alarms/${alarmId}`,
  events: (gw: string) => `gw/${gw}/events`,
  status: (gw: string) => `gw/${gw}/status`,
  ingest: (gw: string, device: string) => `gw/${gw}/ingest/${device}`,
  root: (gw: string) => `gw/${gw}/`,
};

/** Client ids the gateway's own clients use; the embedded broker keeps them for the gateway's credential. */
export function reservedClientIdPrefix(gatewayId: string): string {
  return `gateway-${gatewayId}-`;
}
