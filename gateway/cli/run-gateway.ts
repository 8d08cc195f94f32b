import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { untrustedText } from '../core/untrusted-text.js';
import { consoleLogger, type Logger } from '../core/logger.js';
import type { GatewayConfig } from '../config/schema.js';
import { formatConfigErrors, loadConfigFile } from '../config/load.js';
import { Gateway } from '../runtime/gateway.js';
import { collectGarbageNow } from '../core/heap.js';

/**
 * Hot reload: when the config file changes, validate it and apply rule changes. A bad edit is reported
 * with its errors and the running config stays. Nothing a reload does may throw out of here: an
 * exception in a timer callback would end the gateway.
 *
 * The directory is watched, not the file: an editor that saves atomically writes a temporary file and
 * renames it over the config, and a watch on the old file (its inode) would never fire again.
 */
export function watchConfig(file: string, apply: (config: GatewayConfig) => { ok: true } | { ok: false; error: string }, log: Logger): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const shown = untrustedText(file);
  const reload = () => {
    try {
      const result = loadConfigFile(file);
      if (!result.ok) {
        log.error(`配置修改有误，未生效，继续使用原配置 [config edit rejected, running config unchanged]:\n${formatConfigErrors(file, result.errors)}`);
        return;
      }
      const applied = apply(result.config);
      if (!applied.ok) log.error(`配置修改未能应用，继续使用原配置 [config edit not applied]: ${untrustedText(applied.error)}`);
    } catch (err) {
      log.error(`配置修改未能应用，继续使用原配置 [config edit not applied]: ${untrustedText(err instanceof Error ? err.message : String(err))}`);
    }
  };
  const name = basename(file);
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(resolvePath(file)), (_event, changed) => {
      // Without a name (rare, platform-dependent) any change in the directory may be ours.
      if (changed !== null && changed !== name) return;
      // Editors write a file in several steps; wait for the last one.
      clearTimeout(timer);
      timer = setTimeout(reload, 300);
    });
  } catch (err) {
    log.warn(`cannot watch ${shown} for edits (${untrustedText((err as Error).message)}); restart the gateway to apply config changes`);
    return { close: () => undefined };
  }
  watcher.on('error', (err) => log.warn(`watching ${shown} for edits failed (${untrustedText(err.message)}); restart the gateway to apply config changes`));
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** Longest a clean shutdown may take after SIGINT/SIGTERM before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

/** SIGINT/SIGTERM caught from the moment this is made: `signalled` resolves with the first. */
export interface StopSignals {
  signalled: Promise<NodeJS.Signals>;
  release(): void;
}

/**
 * Catches SIGINT and SIGTERM. Made before anything announces that the process is up (the demo prints
 * its simulators before the gateway starts): a signal sent on that announcement must find a handler,
 * or it kills the process mid-start. One handler for the whole run: Ctrl-C under `npm start` arrives
 * twice at once (from the terminal and forwarded by npm), and a gap between two handlers would let
 * the second kill the process. A second signal a second or more later means "now".
 */
export function catchStopSignals(log: Logger): StopSignals {
  let stoppingSince: number | undefined;
  let onSignal: (sig: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (sig: NodeJS.Signals) => {
      if (stoppingSince === undefined) {
        stoppingSince = Date.now();
        return resolve(sig);
      }
      if (Date.now() - stoppingSince < 1000) return;
      log.warn('再次收到停止信号，立即退出，不做正常关闭 [second signal: exiting without a clean shutdown]');
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return {
    signalled,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/**
 * Runs a gateway until SIGINT or SIGTERM, then shuts down in order (adapters, offline status,
 * broker) and resolves with exit code 0. `afterStop` lets the demo stop its simulators afterwards.
 * A signal caught before the gateway started (`signals`, or during its start) stops it once started.
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
    /** Caught earlier by the caller; released when the run ends. */
    signals?: StopSignals;
  },
): Promise<number> {
  const log = consoleLogger(config.gateway.logLevel);
  const signals = opts.signals ?? catchStopSignals(log);
  const signalled = signals.signalled;
  let gateway: Gateway | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  try {
    try {
      gateway = new Gateway({ config, log, mqttPort: opts.mqttPort, httpPort: opts.httpPort, dataDir: opts.dataDir });
      await gateway.start();
      // What building the rule set and starting the services left behind, before the polling load.
      collectGarbageNow();
    } catch (err) {
      log.error(`网关无法启动 [cannot start]: ${err instanceof Error ? err.message : String(err)}`);
      await gateway?.stop().catch(() => undefined);
      return 1;
    }
    const running = gateway;
    // Operators look for this line: where the console, health and metrics are.
    if (running.httpAddress) process.stdout.write(`报警控制台 [operator console]: ${running.httpAddress}/  (API /api/v1/, 健康 /healthz, 就绪 /readyz, 指标 /metrics)\n`);
    const prepare = opts.prepare ?? (() => undefined);
    const watcher = opts.configFile
      ? watchConfig(
          opts.configFile,
          (next) => {
            prepare(next);
            return running.reload(next);
          },
          log,
        )
      : undefined;
    const signal = await signalled;
    log.info(`${signal} received, shutting down`);
    // One signal always ends the process: a shutdown step that hangs (a device, a broker) must not
    // leave a half-stopped gateway behind.
    watchdog = setTimeout(() => {
      log.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    watchdog.unref();
    watcher?.close();
    await running.stop();
    return 0;
  } finally {
    // Whatever happened, the demo's simulators stop, and signals no longer go to a finished run.
    await opts.afterStop?.().catch((err: unknown) => log.error(`stopping failed: ${err instanceof Error ? err.message : String(err)}`));
    clearTimeout(watchdog);
    signals.release();
  }
}
