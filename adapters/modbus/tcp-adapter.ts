import type { Adapter, AdapterContext } from '../types.js';
import type { ModbusTcpDevice } from './config.js';
import { ModbusDeviceAdapter } from './poller.js';

export { classifyModbusError } from './link.js';
export { ModbusDeviceAdapter as ModbusTcpAdapter } from './poller.js';

/** Modbus TCP (MBAP framing); one connection per device entry. */
export function createAdapter(device: ModbusTcpDevice, ctx: AdapterContext): Adapter {
  return new ModbusDeviceAdapter(device, ctx);
}
