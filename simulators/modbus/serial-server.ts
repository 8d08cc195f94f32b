import { SerialPort } from 'serialport';
import { RtuRequestParser, rtuFrame } from './protocol.js';
import { ModbusSlave } from './slave.js';

export interface SerialServerOptions {
  /** Serial device, e.g. one end of a socat pty pair. */
  path: string;
  baudRate?: number;
  unitIds?: readonly number[];
}

/** A Modbus RTU slave (one or more unit ids on one bus) on a serial port. */
export class RtuSerialServer extends ModbusSlave {
  private port: SerialPort | undefined;

  constructor(private readonly options: SerialServerOptions) {
    super(options.unitIds);
  }

  async start(): Promise<void> {
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', () => {
      /* the other end of a pty going away is not the simulator's problem */
    });
    const parser = new RtuRequestParser();
    let chain = Promise.resolve();
    port.on('data', (chunk: Buffer) => {
      for (const req of parser.push(chunk)) {
        chain = chain.then(async () => {
          const reply = await this.respond(req.unit, req.pdu);
          if (reply && port.isOpen) port.write(rtuFrame(req.unit, reply));
        });
      }
    });
    this.port = port;
  }

  async stop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
