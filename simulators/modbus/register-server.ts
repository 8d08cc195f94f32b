import { ModbusServerTCP } from '../../adapters/modbus/modbus-serial.js';
import type { ModbusDataType, ModbusTable, WordOrder } from '../../adapters/modbus/config.js';
import { encodeRegisters } from '../../adapters/modbus/decode.js';

/** The four Modbus tables of one unit id. */
export class RegisterBank {
  readonly coil = new Uint8Array(65536);
  readonly discrete = new Uint8Array(65536);
  readonly input = new Uint16Array(65536);
  readonly holding = new Uint16Array(65536);

  write(table: ModbusTable, address: number, value: number | boolean, dataType: ModbusDataType = 'uint16', order: WordOrder = 'ABCD'): void {
    if (table === 'coil' || table === 'discrete') {
      this[table][address] = value ? 1 : 0;
      return;
    }
    if (dataType === 'bool') throw new Error('bool values live in coil or discrete tables');
    const words = encodeRegisters(Number(value), dataType, order);
    words.forEach((w, i) => (this[table][address + i] = w));
  }
}

export interface RegisterServerOptions {
  host?: string;
  /** 0 picks a free port; read it back from `port` after start(). */
  port?: number;
}

/**
 * A Modbus TCP server over in-memory register banks, one per unit id (created on first use).
 * Deliberately independent of the gateway's client code except for value encoding.
 */
export class RegisterServer {
  private server: InstanceType<typeof ModbusServerTCP> | undefined;
  private readonly banks = new Map<number, RegisterBank>();
  port = 0;

  constructor(private readonly options: RegisterServerOptions = {}) {}

  bank(unitId = 1): RegisterBank {
    let b = this.banks.get(unitId);
    if (!b) {
      b = new RegisterBank();
      this.banks.set(unitId, b);
    }
    return b;
  }

  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    const port = this.port || this.options.port || (await freePort(host));
    const vector = {
      getCoil: (addr: number, unit: number) => this.bank(unit).coil[addr] === 1,
      getDiscreteInput: (addr: number, unit: number) => this.bank(unit).discrete[addr] === 1,
      getInputRegister: (addr: number, unit: number) => this.bank(unit).input[addr]!,
      getHoldingRegister: (addr: number, unit: number) => this.bank(unit).holding[addr]!,
      getMultipleInputRegisters: (addr: number, len: number, unit: number) => Array.from(this.bank(unit).input.subarray(addr, addr + len)),
      getMultipleHoldingRegisters: (addr: number, len: number, unit: number) => Array.from(this.bank(unit).holding.subarray(addr, addr + len)),
    };
    const server = new ModbusServerTCP(vector, { host, port, unitID: 255 });
    await new Promise<void>((resolve, reject) => {
      server.on('initialized', () => resolve());
      server.on('serverError', (e) => reject(e ?? new Error('modbus server error')));
    });
    server.on('socketError', () => {
      /* a client that disappears mid-request is normal on a plant network */
    });
    this.server = server;
    this.port = port;
    return port;
  }

  /** Stops listening and drops every client connection (as a power-cycled device would). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const sock of server.socks.keys()) sock.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
