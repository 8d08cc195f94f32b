import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * Makes the `debug` loggers of mqtt-packet and mqtt.js free when they are off.
 *
 * mqtt-packet's parser calls its `debug` logger some fifteen times per PUBLISH it parses, and
 * `debug`'s logger is `function debug(...args)`: the rest array is allocated before it checks that
 * it is disabled. At 40,000 messages a second that was 1.1 KB of garbage per message, 28 % of all
 * the gateway allocated (a sampled allocation profile of bench:ingest, adapters/mqtt/README.md),
 * and so a quarter of its young-generation collections. The loggers of these two packages that are
 * off when they are created (DEBUG not naming them at start-up) are replaced by a function that
 * takes no parameters, which V8 calls without allocating anything. `DEBUG=mqtt-packet:*` (or
 * `mqttjs*`) at start-up still gives their full output; turning them on later with `debug.enable()`
 * does not reach them.
 *
 * Must run before mqtt-packet is first loaded: it is the CLI's first import. It edits nothing on
 * disk; it wraps the one `debug` module both packages resolve to, in the CommonJS module cache.
 */
const QUIET_NAMESPACES = /^(mqtt-packet:|mqttjs)/;

interface DebugLogger {
  (...args: unknown[]): void;
  namespace: string;
  enabled: boolean;
  extend(namespace: string, delimiter?: string): DebugLogger;
}
interface CreateDebug {
  (namespace: string): DebugLogger;
  enabled(namespace: string): boolean;
}

function silentLogger(createDebug: CreateDebug, namespace: string): DebugLogger {
  // No parameters and no `arguments`: a call allocates nothing.
  const logger = function quietDebug(): void {} as unknown as DebugLogger;
  logger.namespace = namespace;
  logger.enabled = false;
  logger.extend = (sub: string, delimiter = ':') => createDebug(`${namespace}${delimiter}${sub}`);
  return logger;
}

function quietPacketDebug(): void {
  const require = createRequire(import.meta.url);
  let debugPath: string;
  try {
    const packetDir = dirname(require.resolve('mqtt-packet/package.json'));
    debugPath = require.resolve('debug', { paths: [packetDir] });
  } catch {
    return; // not installed the way we expect: nothing to quieten
  }
  const createDebug = require(debugPath) as CreateDebug;
  const cached = require.cache[debugPath];
  if (!cached || (createDebug as { quiet?: boolean }).quiet) return;
  // A Proxy keeps every property of `debug` (enable, disable, formatters, …) for other packages.
  const wrapped = new Proxy(createDebug, {
    apply(target, thisArg, args: [string]) {
      const namespace = args[0];
      if (typeof namespace === 'string' && QUIET_NAMESPACES.test(namespace) && !target.enabled(namespace)) return silentLogger(target, namespace);
      return Reflect.apply<unknown, [string], DebugLogger>(target, thisArg, args);
    },
    get(target, key, receiver) {
      if (key === 'quiet') return true;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  cached.exports = wrapped;
}

quietPacketDebug();
