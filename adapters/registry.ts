import type { AdapterDefinition, BaseDevice } from './types.js';
import type { BasePoint } from '../gateway/config/point-schema.js';
import type { PublishPolicyConfig } from '../gateway/config/publish-schema.js';
import { modbusRtuDeviceSchema, modbusRtuOverTcpDeviceSchema, modbusTcpDeviceSchema } from './modbus/config.js';
import { diagnosticPoints as modbusDiagnostics } from './modbus/diagnostics.js';
import { opcuaDeviceSchema } from './opcua/config.js';
import { diagnosticPoints as opcuaDiagnostics } from './opcua/diagnostics.js';
import { mqttDeviceSchema } from './mqtt/config.js';
import { diagnosticPoints as mqttDiagnostics } from './mqtt/diagnostics.js';
import { defaultPublish as mqttDefaultPublish } from './mqtt/publication.js';

/**
 * Every southbound protocol the gateway speaks. A new protocol is a new folder under adapters/ and
 * one entry here.
 */
export const ADAPTERS = [
  { type: 'modbus-tcp', deviceSchema: modbusTcpDeviceSchema, diagnosticPoints: modbusDiagnostics, load: () => import('./modbus/tcp-adapter.js') },
  { type: 'modbus-rtu', deviceSchema: modbusRtuDeviceSchema, diagnosticPoints: modbusDiagnostics, load: () => import('./modbus/rtu-adapter.js') },
  { type: 'modbus-rtu-over-tcp', deviceSchema: modbusRtuOverTcpDeviceSchema, diagnosticPoints: modbusDiagnostics, load: () => import('./modbus/rtu-over-tcp-adapter.js') },
  { type: 'opcua', deviceSchema: opcuaDeviceSchema, diagnosticPoints: opcuaDiagnostics, load: () => import('./opcua/adapter.js') },
  { type: 'mqtt', deviceSchema: mqttDeviceSchema, diagnosticPoints: mqttDiagnostics, defaultPublish: mqttDefaultPublish, load: () => import('./mqtt/adapter.js') },
] as const satisfies readonly AdapterDefinition[];

export function findAdapter(type: string): AdapterDefinition | undefined {
  return (ADAPTERS as readonly AdapterDefinition[]).find((a) => a.type === type);
}

/** A device's configured points followed by the diagnostic points its adapter publishes. */
export function devicePoints(device: BaseDevice): BasePoint[] {
  return [...device.points, ...(findAdapter(device.type)?.diagnosticPoints?.(device) ?? [])];
}

/** The device's MQTT reading publication default for its points: its own `publish:`, else its adapter's (undefined: mqtt.publishReadings). */
export function devicePublish(device: BaseDevice): PublishPolicyConfig | undefined {
  return device.publish ?? findAdapter(device.type)?.defaultPublish?.(device);
}
