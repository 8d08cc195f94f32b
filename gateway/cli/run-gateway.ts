import { watch, type FSWatcher } from 'node:fs';
import { consoleLogger, type Logger } from '../core/logger.js';
import type { GatewayConfig } from '../config/schema.js';
import { formatConfigErrors, loadConfigFile } from '../config/load.js';
import { Gateway } from '../runtime/gateway.js';

/**
 * Hot reload: when the config file changes, validate it and apply rule changes. A bad edit is reported
 * with its errors and the running config stays.
 */
function watchConfig(file: string, gateway: Gateway, log: Logger, prepare: (c: GatewayConfig) => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    const result = loadConfigFile(file);
    if (!result.ok) {
      log.error(`config edit rejected, running config unchanged:\n${formatConfigErrors(file, result.errors)}`);
      return;
    }
    prepare(result.config);
    const applied = gateway.reload(result.config);
    if (!applied.ok) log.error(`config edit not applied, running config unchanged: ${applied.error}`);
  };
  // Editors write a file in several steps; wait for the last one.
  return watch(file, () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 300);
  });
}

/**
 * Runs a gateway until SIGINT or SIGTERM, then shuts down in order (adapters, offline status,
 * broker) and resolves with exit code 0. `afterStop` lets the demo stop its simulators afterwards.
 */
export async function runUntilSignal(
  config: GatewayConfig,
  opts: {
    mqttPort?: number | undefined;
    httpPort?: number | undefined;
    dataDir?: string | undefined;
    /** Watched for hot reload. */
    configFile?: string | undefined;
    /** Applies the command line's overrides to a reloaded config too. */
    prepare?: (config: GatewayConfig) => void;
    afterStop?: () => Promise<void>;
  },
): Promise<number> {
  const log = consoleLogger(config.gateway.logLevel);
  // One handler for the whole run, installed before the gateway starts (a Ctrl-C during start-up
  // stops it once started). Ctrl-C under `npm start` arrives twice at once (from the terminal and
  // forwarded by npm); a gap between two handlers would let the second kill the process. A second
  // signal a second or more later means "now".
  let stoppingSince: number | undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (stoppingSince === undefined) {
        stoppingSince = Date.now();
        return resolve(sig);
      }
      if (Date.now() - stoppingSince < 1000) return;
      log.warn('second signal: exiting without a clean shutdown');
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const gateway = new Gateway({ config, log, mqttPort: opts.mqttPort, httpPort: opts.httpPort, dataDir: opts.dataDir });
  try {
    await gateway.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    await gateway.stop().catch(() => undefined);
    await opts.afterStop?.();
    return 1;
  }
  // Operators look for this line: where the console, health and metrics are.
  if (gateway.httpAddress) process.stdout.write(`报警控制台 [operator console]: ${gateway.httpAddress}/  (API /api/v1/, 健康 /healthz, 就绪 /readyz, 指标 /metrics)\n`);
  const watcher = opts.configFile ? watchConfig(opts.configFile, gateway, log, opts.prepare ?? (() => undefined)) : undefined;
  const signal = await signalled;
  log.info(`${signal} received, shutting down`);
  watcher?.close();
  await gateway.stop();
  await opts.afterStop?.();
  return 0;
}
