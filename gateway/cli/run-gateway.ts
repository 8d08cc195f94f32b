import { consoleLogger } from '../core/logger.js';
import type { GatewayConfig } from '../config/schema.js';
import { Gateway } from '../runtime/gateway.js';

/**
 * Runs a gateway until SIGINT or SIGTERM, then shuts down in order (adapters, offline status,
 * broker) and resolves with exit code 0. `beforeStop` lets the demo stop its simulators afterwards.
 */
export async function runUntilSignal(config: GatewayConfig, opts: { mqttPort?: number | undefined; afterStop?: () => Promise<void> }): Promise<number> {
  const log = consoleLogger(config.gateway.logLevel);
  const gateway = new Gateway({ config, log, mqttPort: opts.mqttPort });
  try {
    await gateway.start();
  } catch (err) {
    log.error(`cannot start: ${(err as Error).message}`);
    await gateway.stop().catch(() => undefined);
    await opts.afterStop?.();
    return 1;
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info(`${signal} received, shutting down`);
  // A second signal while stopping means "now": exit without waiting.
  const force = () => process.exit(130);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await gateway.stop();
  await opts.afterStop?.();
  return 0;
}
