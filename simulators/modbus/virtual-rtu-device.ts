import { RtuSerialServer } from './serial-server.js';
import { VirtualSerialPair } from './virtual-serial.js';

/**
 * An RTU slave on a virtual RS-485 line, for the demo and tests: socat makes a pty pair, the slave
 * listens on one end, and the gateway's `modbus-rtu` device opens `gatewayPath`.
 */
export class VirtualRtuDevice {
  private readonly pair = new VirtualSerialPair();
  readonly slave: RtuSerialServer;

  constructor(options: { baudRate?: number; unitIds?: readonly number[] } = {}) {
    this.slave = new RtuSerialServer({ path: this.pair.b, baudRate: options.baudRate ?? 9600, ...(options.unitIds ? { unitIds: options.unitIds } : {}) });
  }

  /** The serial device to put in the gateway config (`serialPort:`). */
  get gatewayPath(): string {
    return this.pair.a;
  }

  async start(): Promise<void> {
    await this.pair.start();
    try {
      await this.slave.start();
    } catch (err) {
      await this.pair.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.slave.stop();
    await this.pair.stop();
  }
}
