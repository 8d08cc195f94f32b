import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { OsUserLinks } from '../auth/os-user-links.js';
import { SecurityAudit } from '../auth/security-audit.js';
import { UserStore } from '../auth/user-store.js';
import { openDatabase, type Db } from '../store/database.js';
import type { Service, ServiceContext } from '../services/service.js';
import { osGroupId } from './peer-identity.js';
import { CONTROL_SOCKET } from './protocol.js';
import { ControlServer } from './server.js';

/** An operator's longest shelve when the HTTP section does not say (its default). */
const DEFAULT_OPERATOR_MAX_SHELVE_MS = 2 * 3_600_000;

/**
 * The local control socket (`<dataDir>/control.sock` unless control.socket says) the CLI's operator
 * commands use: each connection proves its OS user, acts as the gateway user linked to it, and is
 * checked and audited as the API is.
 */
class ControlService implements Service {
  readonly name = 'control';
  private server: ControlServer | undefined;
  private ownDb: Db | undefined;

  constructor(private readonly ctx: ServiceContext) {}

  async start(): Promise<void> {
    const { ctx } = this;
    const cfg = ctx.config.control;
    mkdirSync(ctx.dataDir, { recursive: true });
    const db = ctx.db ?? (this.ownDb = openDatabase(join(ctx.dataDir, 'gateway.db')));
    const trusted = new Set(cfg.trustedOsUsers);
    if (cfg.trustGatewayOsUser) trusted.add(userInfo().username);
    ctx.metrics.describe('control_identify_refused', 'Control-socket connections whose OS user could not be proven or is not linked');
    this.server = new ControlServer(cfg.socket ?? join(ctx.dataDir, CONTROL_SOCKET), {
      alarms: ctx.alarms,
      operatorMaxShelveMs: ctx.config.http?.operatorMaxShelve ?? DEFAULT_OPERATOR_MAX_SHELVE_MS,
      log: ctx.log.child('control'),
      metrics: ctx.metrics,
      links: new OsUserLinks(db),
      users: new UserStore(db),
      audit: new SecurityAudit(db, () => ctx.now()),
      trustedOsUsers: trusted,
      gid: cfg.group !== undefined ? await osGroupId(cfg.group) : undefined,
    });
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.ownDb?.close();
    this.ownDb = undefined;
  }
}

export function createService(ctx: ServiceContext): Service {
  return new ControlService(ctx);
}
