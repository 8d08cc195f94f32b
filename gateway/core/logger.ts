import { pino, stdSerializers, stdTimeFunctions, type Logger as PinoLogger } from 'pino';
import { untrustedMultiline } from './untrusted-text.js';

/**
 * The gateway's logger contract. Every line carries a `component` (e.g. `gateway/modbus:press1`);
 * `child` appends to it. Implementations: `createLogger` (pino, to stderr) and `silentLogger`.
 *
 * Language policy (README, "Logs"): messages an operator or maintenance engineer acts on are
 * Chinese first, with the English term in brackets where it helps; field names are English.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** `json`: one JSON object per line (files, journald, log shippers); `pretty`: one readable line for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  level?: LogLevel;
  /** The root component; children append `/<name>`. */
  component?: string;
  /** Default: `pretty` when stderr is a terminal, else `json`. */
  format?: LogFormat;
  /** Where each line goes (without its newline); default stderr. */
  write?: (line: string) => void;
  /** Colour the level in `pretty` lines; default: writing to stderr, a terminal, and NO_COLOR unset. */
  colour?: boolean;
}

const LEVEL_COLOUR: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[36m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m' };
const RESET = '\x1b[0m';
/** Keys every pino line has; the rest are the caller's fields. */
const FIXED_KEYS = new Set(['level', 'time', 'component', 'msg']);

/** Turns one pino JSON line into `2026-05-01T08:00:00.000Z WARN  [gateway/uplink] message {"field":1}`. */
export function formatPrettyLine(json: string, colour = false): string {
  const o = JSON.parse(json) as Record<string, unknown>;
  const level = String(o['level']);
  const label = level.toUpperCase().padEnd(5);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!FIXED_KEYS.has(k)) extra[k] = v;
  const fields = Object.keys(extra).length > 0 ? ' ' + JSON.stringify(extra) : '';
  const lvl = colour ? `${LEVEL_COLOUR[level] ?? ''}${label}${RESET}` : label;
  // Messages carry outside text (client ids, topics, device strings). Call sites escape it with
  // untrustedText(); this is the backstop for the terminal: no control character gets through and no
  // continuation line starts in column 0, where it could pass for a line of its own. (JSON lines
  // are escaped by JSON itself.)
  return `${String(o['time'])} ${lvl} [${String(o['component'])}] ${untrustedMultiline((typeof o['msg'] === 'string' ? o['msg'] : '') + fields)}`;
}

function wrap(root: PinoLogger, component: string): Logger {
  const p = root.child({ component });
  return {
    debug: (m, f) => (f ? p.debug(f, m) : p.debug(m)),
    info: (m, f) => (f ? p.info(f, m) : p.info(m)),
    warn: (m, f) => (f ? p.warn(f, m) : p.warn(m)),
    error: (m, f) => (f ? p.error(f, m) : p.error(m)),
    // From the root, not from `p`: pino would repeat the `component` key in a child of a child.
    child: (s) => wrap(root, `${component}/${s}`),
  };
}

/** A pino logger behind the `Logger` contract. Writes are synchronous, so nothing is lost on exit. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const tty = process.stderr.isTTY;
  const format = opts.format ?? (tty ? 'pretty' : 'json');
  // Colour only for a person at the terminal; a `write` callback (tests, files) gets plain text.
  const colour = opts.colour ?? (!opts.write && tty && !process.env['NO_COLOR']);
  const write = opts.write ?? ((l: string) => void process.stderr.write(l + '\n'));
  const json = (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s);
  const pretty = (s: string) => write(formatPrettyLine(s, colour));
  const root = pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Callers pass caught errors as `error`; pino would print an Error as {}.
      serializers: { error: stdSerializers.err, err: stdSerializers.err },
    },
    { write: format === 'json' ? json : pretty },
  );
  return wrap(root, opts.component ?? 'gateway');
}

/** The historic signature, kept for callers: a logger to stderr (or `write`) in the terminal's format. */
export function consoleLogger(level: LogLevel = 'info', component = 'gateway', write?: (line: string) => void): Logger {
  // A caller that captures lines (tests, the CLI's own output) reads them as a person would.
  return createLogger({ level, component, ...(write ? { write, format: 'pretty' as const } : {}) });
}

const noop = (): void => undefined;
/** Drops everything at no cost (tests, benchmarks, simulators embedded in tests). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };
