import type { AdapterDefinition } from './types.js';
import { modbusRtuDeviceSchema, modbusRtuOverTcpDeviceSchema, modbusTcpDeviceSchema } from './modbus/config.js';
import { opcuaDeviceSchema } from './opcua/config.js';

/**
 * Every southbound protocol the gateway speaks. A new protocol is a new folder under adapters/ and
 * one entry here.
 */
export const ADAPTERS = [
  { type: 'modbus-tcp', deviceSchema: modbusTcpDeviceSchema, load: () => import('./modbus/tcp-adapter.js') },
  { type: 'modbus-rtu', deviceSchema: modbusRtuDeviceSchema, load: () => import('./modbus/rtu-adapter.js') },
  { type: 'modbus-rtu-over-tcp', deviceSchema: modbusRtuOverTcpDeviceSchema, load: () => import('./modbus/rtu-over-tcp-adapter.js') },
  { type: 'opcua', deviceSchema: opcuaDeviceSchema, load: () => import('./opcua/adapter.js') },
] as const satisfies readonly AdapterDefinition[];

export function findAdapter(type: string): AdapterDefinition | undefined {
  return (ADAPTERS as readonly AdapterDefinition[]).find((a) => a.type === type);
}
