import type { Service, ServiceContext } from '../service.js';
import { ConsoleReporter } from './console-reporter.js';

/** Alarm lines and the periodic summary on the terminal (stdout), Chinese first. */
class TerminalService implements Service {
  readonly name = 'terminal';
  private readonly reporter: ConsoleReporter;

  constructor(private readonly ctx: ServiceContext) {
    this.reporter = new ConsoleReporter({
      write: ctx.write,
      summaryIntervalMs: ctx.config.gateway.summaryInterval,
      points: ctx.points,
      readingsPublished: () => ctx.bus.published,
      annunciated: () => ctx.alarms.annunciated(),
      colour: Boolean(process.stdout.isTTY),
      scheduler: ctx.scheduler,
    });
  }

  start(): Promise<void> {
    this.reporter.start(this.ctx.alarmEvents$);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.reporter.stop();
    return Promise.resolve();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new TerminalService(ctx);
}
