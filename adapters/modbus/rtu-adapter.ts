import type { Adapter, AdapterContext } from '../types.js';
import type { ModbusRtuDevice } from './config.js';
import { ModbusDeviceAdapter } from './poller.js';

/** Modbus RTU on a serial port; devices naming the same serialPort share one bus queue. */
export function createAdapter(device: ModbusRtuDevice, ctx: AdapterContext): Adapter {
  return new ModbusDeviceAdapter(device, ctx);
}
