import { createServer, type Server } from 'node:net';
import { chmodSync, chownSync, existsSync, rmSync, unlinkSync } from 'node:fs';
import { AlarmActionError, type AlarmManager, type AlarmStatus } from '../alarms/alarm-manager.js';
import { ActionForbidden, requireAlarmAction, shelveAction, unshelveAction } from '../auth/alarm-authorization.js';
import type { OsUserLinks } from '../auth/os-user-links.js';
import { can } from '../auth/permissions.js';
import type { SecurityAudit } from '../auth/security-audit.js';
import type { UserStore } from '../auth/user-store.js';
import { isAnnunciated } from '../core/alarm-event.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import { BoundedLineReader } from './line-reader.js';
import { resolveOsActor, type ControlActor } from './os-actor.js';
import { ProofDir, ProofRefused } from './peer-identity.js';
import { controlRequestSchema, proofDirOf, type AlarmRow, type AlarmsResponse, type ControlResponse, type ParsedControlRequest } from './protocol.js';
import { untrustedText } from '../core/untrusted-text.js';

function row(s: AlarmStatus): AlarmRow {
  return { alarmId: s.alarmId, state: s.state, severity: s.severity, area: s.area, active: s.facts.active, message: s.message, ts: s.ts, ...(s.shelvedUntil !== undefined ? { shelvedUntil: s.shelvedUntil } : {}) };
}

/** What an identified connection's requests act on. */
export interface ControlActions {
  alarms: AlarmManager;
  /** http.operatorMaxShelve: an operator's longest shelve (longer, or one-shot, needs a supervisor). */
  operatorMaxShelveMs: number;
}

type Parsed = { ok: true; request: ParsedControlRequest } | { ok: false; error: string };

/** Parses one request line; a `user` field is refused by name (the gateway finds the user itself). */
export function parseControlLine(line: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  if (json !== null && typeof json === 'object' && 'user' in json) {
    return { ok: false, error: 'user: not accepted — the gateway names you by the OS user that runs the CLI (an admin links it to a gateway user: users link-os)' };
  }
  const parsed = controlRequestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ') };
  return { ok: true, request: parsed.data };
}

/**
 * Executes one alarm request as `actor`, with the API's permission checks (role, areas, shelve limits)
 * and the actor's audit name in the journal. Never throws.
 */
export function handleControl(actions: ControlActions, actor: ControlActor, r: ParsedControlRequest): AlarmsResponse {
  const { alarms } = actions;
  const user = actor.principal;
  const name = actor.auditName;
  const target = (alarmId: string, action: Parameters<typeof requireAlarmAction>[1] | ((s: AlarmStatus) => Parameters<typeof requireAlarmAction>[1])) => {
    if (!alarms.has(alarmId)) throw new AlarmActionError(`没有该报警 [unknown alarm] "${alarmId}"`);
    const s = alarms.get(alarmId);
    requireAlarmAction(user, typeof action === 'function' ? action(s) : action, s.area);
    return s.alarmId;
  };
  try {
    switch (r.op) {
      case 'hello':
      case 'identify':
        return { ok: false, error: `${r.op} is answered by the connection, not here` };
      case 'list':
        if (!can(user, 'alarms.read')) throw new ActionForbidden(`权限不足 [forbidden]: ${user.name} (${user.role}) may not alarms.read`);
        return { ok: true, alarms: alarms.list().filter((s) => r.all || isAnnunciated(s.state) || s.facts.active || s.state !== 'NORMAL').map(row) };
      case 'ack':
        return { ok: true, alarms: [row(alarms.acknowledge(target(r.alarmId, 'alarm.acknowledge'), name, r.comment))] };
      case 'ackArea':
        requireAlarmAction(user, 'alarm.acknowledge', r.area);
        return { ok: true, alarms: alarms.acknowledgeArea(r.area, name, r.comment).map(row) };
      case 'shelve':
        return { ok: true, alarms: [row(alarms.shelve(target(r.alarmId, shelveAction(r.duration, actions.operatorMaxShelveMs)), name, { durationMs: r.duration, reason: r.reason }))] };
      case 'unshelve':
        return { ok: true, alarms: [row(alarms.unshelve(target(r.alarmId, (s) => unshelveAction(user, s.shelvedBy)), name, r.reason))] };
      case 'outOfService':
        return { ok: true, alarms: [row(alarms.setOutOfService(target(r.alarmId, 'alarm.outOfService'), true, name, r.reason))] };
      case 'inService':
        return { ok: true, alarms: [row(alarms.setOutOfService(target(r.alarmId, 'alarm.outOfService'), false, name, r.reason))] };
      case 'comment':
        return { ok: true, alarms: [row(alarms.comment(target(r.alarmId, 'alarm.comment'), name, r.comment))] };
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** Longest request line accepted on the control socket; a real request is well under 2 KiB. */
export const DEFAULT_CONTROL_MAX_LINE_BYTES = 64 * 1024;

/** Answers a control client may leave unread before it is disconnected. */
const MAX_UNREAD_REPLY_BYTES = 4 * 1024 * 1024;

export interface ControlServerDeps extends ControlActions {
  log: Logger;
  metrics: Metrics;
  links: OsUserLinks;
  users: UserStore;
  /** Logs refused identifications (the alarm journal audits the actions themselves). */
  audit?: SecurityAudit | undefined;
  /** OS users who act without a link (control.trustedOsUsers, plus the gateway's own when trusted). */
  trustedOsUsers: ReadonlySet<string>;
  /** control.group's gid: members may connect. Without it the socket is owner-only. */
  gid?: number | undefined;
  maxLineBytes?: number;
}

/** Per-connection state: the challenge sent, then who was found. */
interface Connection {
  challenge?: { challenge: string; issuedAt: number };
  actor?: ControlActor;
}

/**
 * The local control socket of a running gateway: newline-delimited JSON, 0600 (0660 with
 * control.group). Each connection proves its OS user before it may act; see README.md.
 */
export class ControlServer {
  private server: Server | undefined;
  private readonly proof: ProofDir;

  constructor(
    private readonly path: string,
    private readonly deps: ControlServerDeps,
  ) {
    this.proof = new ProofDir(proofDirOf(path), deps.gid);
  }

  /** A refused identification: counted and in the security audit, under the OS user when known. */
  private refuse(who: string, error: string): ControlResponse {
    this.deps.metrics.inc('control_identify_refused');
    this.deps.audit?.record({ user: who, action: 'control.identify', detail: error, address: this.path, ok: false });
    return { ok: false, error };
  }

  /** One request on one connection; hello and identify are the handshake, the rest need an actor. */
  private async answer(conn: Connection, line: string): Promise<ControlResponse> {
    const parsed = parseControlLine(line);
    if (!parsed.ok) return parsed;
    const r = parsed.request;
    if (r.op === 'hello') {
      conn.challenge = this.proof.challenge();
      return { ok: true, challenge: conn.challenge.challenge, proofDir: this.proof.path };
    }
    if (r.op === 'identify') {
      const c = conn.challenge;
      conn.challenge = undefined; // one try per challenge
      if (!c) return { ok: false, error: 'identify: send hello first' };
      try {
        const peer = await this.proof.verify(c.challenge, c.issuedAt);
        const actor = resolveOsActor(peer, this.deps);
        if ('refused' in actor) return this.refuse(`os:${peer.osUser}`, actor.refused);
        conn.actor = actor;
        return { ok: true, identity: { osUser: peer.osUser, uid: peer.uid, user: actor.principal.name, role: actor.principal.role, auditName: actor.auditName } };
      } catch (err) {
        if (err instanceof ProofRefused) return this.refuse('unknown', `identify: ${err.message}`);
        throw err;
      }
    }
    if (!conn.actor) return { ok: false, error: 'not identified: send hello, create the proof file, then identify' };
    return handleControl(this.deps, conn.actor, r);
  }

  async start(): Promise<void> {
    // A socket file left by a crashed run would make listen() fail.
    if (existsSync(this.path)) unlinkSync(this.path);
    this.proof.prepare();
    const { log, metrics } = this.deps;
    const maxLineBytes = this.deps.maxLineBytes ?? DEFAULT_CONTROL_MAX_LINE_BYTES;
    const server = createServer((sock) => {
      const conn: Connection = {};
      const reply = (res: ControlResponse) => {
        if (!res.ok) {
          metrics.inc('control_requests_rejected');
          log.warn(`操作请求被拒绝 [control request rejected]: ${untrustedText(res.error)}`);
        }
        if (!sock.writable) return;
        // A client that sends requests but never reads the answers must not grow the gateway.
        if (sock.writableLength > MAX_UNREAD_REPLY_BYTES) {
          metrics.inc('control_clients_dropped');
          log.warn(`操作连接已断开 [control client dropped]: more than ${MAX_UNREAD_REPLY_BYTES} bytes of answers unread`);
          sock.destroy();
          return;
        }
        sock.write(JSON.stringify(res) + '\n');
      };
      // Answers go out in request order though identification is asynchronous.
      let queue = Promise.resolve();
      const lines = new BoundedLineReader(
        maxLineBytes,
        (line) => {
          queue = queue.then(async () => reply(await this.answer(conn, line).catch((err: unknown) => ({ ok: false as const, error: (err as Error).message }))));
        },
        () => {
          metrics.inc('control_lines_too_long');
          queue = queue.then(() => reply({ ok: false, error: `request line longer than ${maxLineBytes} bytes, refused` }));
        },
      );
      sock.on('data', (chunk: Buffer) => lines.push(chunk));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    if (this.deps.gid !== undefined) chownSync(this.path, -1, this.deps.gid);
    chmodSync(this.path, this.deps.gid !== undefined ? 0o660 : 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
    rmSync(this.proof.path, { recursive: true, force: true });
  }
}
