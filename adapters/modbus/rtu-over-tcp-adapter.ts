import type { Adapter, AdapterContext } from '../types.js';
import type { ModbusRtuOverTcpDevice } from './config.js';
import { ModbusDeviceAdapter } from './poller.js';

/** RTU frames over a TCP connection to a serial device server or DTU; devices on one host:port share it. */
export function createAdapter(device: ModbusRtuOverTcpDevice, ctx: AdapterContext): Adapter {
  return new ModbusDeviceAdapter(device, ctx);
}
