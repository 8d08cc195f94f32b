import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusTcpTransport } from '../../../adapters/modbus/tcp-transport.js';
import { classifyModbusError } from '../../../adapters/modbus/link.js';

/**
 * The lean Modbus TCP client against a raw TCP peer that answers byte by byte as a test dictates:
 * what real devices and TCP do that the register simulator never does (replies split across
 * segments, a late reply to an earlier request, garbage).
 */
interface Peer {
  server: Server;
  port: number;
  /** Requests as received (whole 12-byte frames). */
  requests: Buffer[];
  answer: (req: Buffer, sock: Socket) => void;
}

const peers: Peer[] = [];
const transports: ModbusTcpTransport[] = [];

async function peer(answer: Peer['answer']): Promise<Peer> {
  const p: Peer = { server: createServer(), port: 0, requests: [], answer };
  p.server.on('connection', (sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 12) {
        const req = buf.subarray(0, 12);
        buf = buf.subarray(12);
        p.requests.push(Buffer.from(req));
        p.answer(Buffer.from(req), sock);
      }
    });
  });
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
  p.port = (p.server.address() as { port: number }).port;
  peers.push(p);
  return p;
}

async function connect(port: number): Promise<ModbusTcpTransport> {
  const t = new ModbusTcpTransport('127.0.0.1', port);
  transports.push(t);
  await t.open();
  return t;
}

/** A holding-register reply to `req` with these values (same transaction id and unit). */
function reply(req: Buffer, values: number[], tid = req.readUInt16BE(0)): Buffer {
  const b = Buffer.alloc(9 + values.length * 2);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(3 + values.length * 2, 4);
  b[6] = req[6]!;
  b[7] = req[7]!;
  b[8] = values.length * 2;
  values.forEach((v, i) => b.writeUInt16BE(v, 9 + i * 2));
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const t of transports.splice(0)) await new Promise<void>((r) => t.close(r));
  for (const p of peers.splice(0)) await new Promise<void>((r) => p.server.close(() => r()));
});

describe('Modbus TCP transport', () => {
  it('sends an MBAP read request with a new transaction id each time and decodes the registers', async () => {
    const p = await peer((req, sock) => sock.write(reply(req, [1, 0xffff, 0x1234])));
    const t = await connect(p.port);
    expect(await t.read(7, 'holding', 40, 3, 1000)).toEqual([1, 0xffff, 0x1234]);
    expect(await t.read(7, 'input', 0, 3, 1000)).toEqual([1, 0xffff, 0x1234]);
    const [a, b] = p.requests;
    // tid, protocol 0, length 6, unit 7, FC03 / FC04, start, count
    expect([...a!.subarray(2)]).toEqual([0, 0, 0, 6, 7, 3, 0, 40, 0, 3]);
    expect(b![7]).toBe(4);
    expect(b!.readUInt16BE(0)).toBe(a!.readUInt16BE(0) + 1);
  });

  it('puts together a reply split across TCP segments', async () => {
    const p = await peer((req, sock) => {
      const r = reply(req, [10, 20, 30, 40]);
      sock.write(r.subarray(0, 4));
      setTimeout(() => sock.write(r.subarray(4, 11)), 20);
      setTimeout(() => sock.write(r.subarray(11)), 40);
    });
    const t = await connect(p.port);
    expect(await t.read(1, 'holding', 0, 4, 1000)).toEqual([10, 20, 30, 40]);
  });

  it('drops a late reply to a timed-out request and takes the answer to the current one', async () => {
    let n = 0;
    let late: Buffer | undefined;
    const p = await peer((req, sock) => {
      n++;
      // The first request is answered only together with the second one's reply, in one segment.
      if (n === 1) late = reply(req, [111]);
      else sock.write(Buffer.concat([late!, reply(req, [222])]));
    });
    const t = await connect(p.port);
    const first = await t.read(1, 'holding', 0, 1, 100).catch((e: unknown) => classifyModbusError(e));
    expect(first).toMatchObject({ kind: 'timeout' });
    expect(await t.read(1, 'holding', 0, 1, 1000)).toEqual([222]);
  });

  it('reports a Modbus exception with its code, and a reply of the wrong length or unit as a communication error', async () => {
    let mode: 'exception' | 'short' | 'unit' = 'exception';
    const p = await peer((req, sock) => {
      if (mode === 'exception') sock.write(Buffer.from([req[0]!, req[1]!, 0, 0, 0, 3, req[6]!, req[7]! | 0x80, 2]));
      else if (mode === 'short') sock.write(reply(req, [1]));
      else sock.write(reply(Buffer.from([...req.subarray(0, 6), 9, ...req.subarray(7)]), [1, 2]));
    });
    const t = await connect(p.port);
    const err = (e: unknown) => classifyModbusError(e);
    expect(await t.read(1, 'holding', 0, 2, 1000).catch(err)).toMatchObject({ kind: 'exception', exceptionCode: 2 });
    mode = 'short';
    expect(await t.read(1, 'holding', 0, 2, 1000).catch(err)).toMatchObject({ kind: 'comm' });
    mode = 'unit';
    expect(await t.read(1, 'holding', 0, 2, 1000).catch(err)).toMatchObject({ kind: 'comm', message: expect.stringContaining('expected address 1 got 9') });
  });

  it('decodes coils least significant bit first, as modbus-serial did', async () => {
    const p = await peer((req, sock) => sock.write(Buffer.from([req[0]!, req[1]!, 0, 0, 0, 5, req[6]!, 1, 2, 0b00000101, 0b1])));
    const t = await connect(p.port);
    const bits = (await t.read(1, 'coil', 0, 9, 1000)) as boolean[];
    expect(bits.slice(0, 9)).toEqual([true, false, true, false, false, false, false, false, true]);
  });

  it('fails the request in flight and tells its listener when the peer closes, and refuses reads afterwards', async () => {
    const p = await peer((_req, sock) => setTimeout(() => sock.destroy(), 20));
    const t = await connect(p.port);
    let closed = 0;
    t.onClose(() => closed++);
    await expect(t.read(1, 'holding', 0, 1, 1000)).rejects.toThrow(/connection closed/);
    expect(closed).toBe(1);
    await expect(t.read(1, 'holding', 0, 1, 1000)).rejects.toThrow(/Port Not Open/);
  });

  it('garbage that is not MBAP framing ends the connection instead of being read as a reply', async () => {
    const p = await peer((_req, sock) => sock.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const t = await connect(p.port);
    await expect(t.read(1, 'holding', 0, 1, 1000)).rejects.toThrow(/invalid MBAP header/);
    await sleep(50);
    await expect(t.read(1, 'holding', 0, 1, 1000)).rejects.toThrow(/Port Not Open/);
  });
});
