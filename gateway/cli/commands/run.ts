import type { Command } from '../command.js';
import { loadConfigOrThrow } from '../../config/load.js';
import { parseOptions, portOption } from '../options.js';
import { runUntilSignal } from '../run-gateway.js';
import { collectGarbageNow } from '../../core/heap.js';

const usage = 'run --config <file> [--mqtt-port <n>] [--http-port <n>] [--data-dir <dir>]';

const command: Command = {
  summary: 'run the gateway on a config file until Ctrl-C / SIGTERM; edits to the file apply without restart',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' }, 'mqtt-port': { type: 'string' }, 'http-port': { type: 'string' }, 'data-dir': { type: 'string' } }, usage);
    if (!opts.config) throw new Error(`--config is required\nusage: npm run gateway -- ${usage}`);
    const config = loadConfigOrThrow(opts.config);
    // The parse's garbage goes before the runtime is built on top of it (start-up peak of memory).
    collectGarbageNow();
    return runUntilSignal(config, { mqttPort: portOption(opts['mqtt-port'], '--mqtt-port'), httpPort: portOption(opts['http-port'], '--http-port'), dataDir: opts['data-dir'], configFile: opts.config });
  },
};
export default command;
