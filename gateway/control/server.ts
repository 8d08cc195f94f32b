import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import type { AlarmManager, AlarmStatus } from '../alarms/alarm-manager.js';
import { isAnnunciated } from '../core/alarm-event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { BoundedLineReader } from './line-reader.js';
import { controlRequestSchema, type AlarmRow, type ControlResponse } from './protocol.js';
import { untrustedText } from '../core/untrusted-text.js';

function row(s: AlarmStatus): AlarmRow {
  return { alarmId: s.alarmId, state: s.state, severity: s.severity, area: s.area, active: s.facts.active, message: s.message, ts: s.ts, ...(s.shelvedUntil !== undefined ? { shelvedUntil: s.shelvedUntil } : {}) };
}

/** Executes one parsed control request against the alarm manager. */
export function handleControl(alarms: AlarmManager, line: string): ControlResponse {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  const parsed = controlRequestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ') };
  const r = parsed.data;
  try {
    switch (r.op) {
      case 'list':
        return { ok: true, alarms: alarms.list().filter((s) => r.all || isAnnunciated(s.state) || s.facts.active || s.state !== 'NORMAL').map(row) };
      case 'ack':
        return { ok: true, alarms: [row(alarms.acknowledge(r.alarmId, r.user, r.comment))] };
      case 'ackArea':
        return { ok: true, alarms: alarms.acknowledgeArea(r.area, r.user, r.comment).map(row) };
      case 'shelve':
        return { ok: true, alarms: [row(alarms.shelve(r.alarmId, r.user, { durationMs: r.duration, reason: r.reason }))] };
      case 'unshelve':
        return { ok: true, alarms: [row(alarms.unshelve(r.alarmId, r.user, r.reason))] };
      case 'outOfService':
        return { ok: true, alarms: [row(alarms.setOutOfService(r.alarmId, true, r.user, r.reason))] };
      case 'inService':
        return { ok: true, alarms: [row(alarms.setOutOfService(r.alarmId, false, r.user, r.reason))] };
      case 'comment':
        return { ok: true, alarms: [row(alarms.comment(r.alarmId, r.user, r.comment))] };
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Longest request line accepted on the control socket; a real request is well under 2 KiB. */
export const DEFAULT_CONTROL_MAX_LINE_BYTES = 64 * 1024;

/** Answers a control client may leave unread before it is disconnected. */
const MAX_UNREAD_REPLY_BYTES = 4 * 1024 * 1024;

/** The local control socket of a running gateway: owner-only (0600), newline-delimited JSON. */
export class ControlServer {
  private server: Server | undefined;

  constructor(
    private readonly path: string,
    private readonly alarms: AlarmManager,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly options: { maxLineBytes?: number } = {},
  ) {}

  async start(): Promise<void> {
    // A socket file left by a crashed run would make listen() fail.
    if (existsSync(this.path)) unlinkSync(this.path);
    const maxLineBytes = this.options.maxLineBytes ?? DEFAULT_CONTROL_MAX_LINE_BYTES;
    const server = createServer((sock) => {
      const reply = (res: ControlResponse) => {
        if (!sock.writable) return;
        // A client that sends requests but never reads the answers must not grow the gateway.
        if (sock.writableLength > MAX_UNREAD_REPLY_BYTES) {
          this.metrics.inc('control_clients_dropped');
          this.log.warn(`操作连接已断开 [control client dropped]: more than ${MAX_UNREAD_REPLY_BYTES} bytes of answers unread`);
          sock.destroy();
          return;
        }
        sock.write(JSON.stringify(res) + '\n');
      };
      const lines = new BoundedLineReader(
        maxLineBytes,
        (line) => {
          const res = handleControl(this.alarms, line);
          if (!res.ok) {
            this.metrics.inc('control_requests_rejected');
            this.log.warn(`操作请求被拒绝 [control request rejected]: ${untrustedText(res.error)}`);
          }
          reply(res);
        },
        (bytes) => {
          this.metrics.inc('control_requests_rejected');
          this.metrics.inc('control_lines_too_long');
          this.log.warn(`操作请求被拒绝 [control request rejected]: a line of more than ${maxLineBytes} bytes (${bytes} so far); dropped`);
          reply({ ok: false, error: `request line longer than ${maxLineBytes} bytes, refused` });
        },
      );
      sock.on('data', (chunk: Buffer) => lines.push(chunk));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }
}
