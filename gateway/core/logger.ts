import { untrustedMultiline } from './untrusted-text.js';

/** Minimal structured logger; the console implementation writes one line per message to stderr. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function consoleLogger(level: LogLevel = 'info', scope = 'gateway', write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    // Messages carry outside text (client ids, topics, device strings). Call sites escape it with
    // untrustedText(); this is the backstop: no control character reaches the terminal and no
    // continuation line starts in column 0, where it could pass for a line of its own.
    write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${scope}] ${untrustedMultiline(msg + extra)}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (s) => consoleLogger(level, `${scope}/${s}`, write),
  };
}

export const silentLogger: Logger = consoleLogger('silent');
