import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Service, ServiceContext } from '../services/service.js';
import { CONTROL_SOCKET } from './protocol.js';
import { ControlServer } from './server.js';

/** The local control socket (`<dataDir>/control.sock`, owner-only) the CLI's operator commands use. */
class ControlService implements Service {
  readonly name = 'control';
  private readonly server: ControlServer;

  constructor(ctx: ServiceContext) {
    mkdirSync(ctx.dataDir, { recursive: true });
    this.server = new ControlServer(join(ctx.dataDir, CONTROL_SOCKET), ctx.alarms, ctx.log.child('control'), ctx.metrics);
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new ControlService(ctx);
}
