import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { LineCounter, parseDocument, isMap, type Document } from 'yaml';
import type { z } from 'zod';
import { gatewayConfigSchema, suggest, type GatewayConfig } from './schema.js';
import { expansionProblem } from './yaml-expansion.js';
import { lineColumns, pathKey, readYamlFast, type FastYaml } from './yaml-fast.js';
import { firstInvalidUtf8 } from './utf8.js';
import { untrustedText } from '../core/untrusted-text.js';

export interface ConfigError {
  /** `devices[1].points[3].address`, or "" for the whole file. */
  path: string;
  message: string;
  /** 1-based position in the YAML file, when known. */
  line?: number;
  col?: number;
}

export type ConfigResult = { ok: true; config: GatewayConfig } | { ok: false; errors: ConfigError[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/**
 * A union's error says only "Invalid input". Report instead the branch that got furthest (its
 * issues have the longest paths), which is the branch the author meant.
 */
function flattenIssue(issue: Issue, base: PropertyKey[] = []): { path: PropertyKey[]; issue: Issue }[] {
  const here = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (branch: Issue[]) => Math.max(...branch.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (depth(best) > 0) return best.flatMap((i) => flattenIssue(i, here));
  }
  return [{ path: here, issue }];
}

/**
 * Where the config's text is, for error messages: the line and column of a path, and the keys
 * written next to a path (for "did you mean"). Two implementations: over the `yaml` package's
 * document, and over js-yaml's events (the fast path).
 */
export interface ConfigSource {
  /** Positions of these paths (each, or its nearest ancestor that is written in the file). */
  positions(paths: readonly PropertyKey[][]): { line?: number; col?: number }[];
  /** Keys written in the map at `path`, if it is one. */
  keysAt(path: PropertyKey[]): string[];
}

function describe(issue: Issue, path: PropertyKey[], source: ConfigSource | undefined): string {
  if (issue.code === 'unrecognized_keys') {
    const known = source ? knownKeysNear(source, path, issue.keys) : COMMON_KEYS;
    return issue.keys.map((k) => `unknown key "${k}"${suggest(k, known)}`).join('; ');
  }
  return issue.message;
}

/** Sibling keys of an object in the YAML; the unknown ones are excluded, so we suggest real keys. */
function knownKeysNear(source: ConfigSource, path: PropertyKey[], unknown: string[]): string[] {
  const candidates = new Set<string>(COMMON_KEYS);
  for (const k of source.keysAt(path)) candidates.add(k);
  for (const k of unknown) candidates.delete(k);
  return [...candidates];
}

// Keys of the config schema; suggestions draw on these ("limts" → "limits").
const COMMON_KEYS = [
  'id', 'name', 'unit', 'equipment', 'area', 'range', 'limits', 'description', 'table', 'address', 'dataType', 'wordOrder',
  'scale', 'preset', 'deadband', 'onDelay', 'offDelay', 'HH', 'H', 'L', 'LL', 'value', 'severity', 'message', 'host', 'port',
  'unitId', 'pollInterval', 'timeout', 'points', 'devices', 'rules', 'gateway', 'mqtt', 'enterprise', 'creditCode', 'kind',
  'point', 'alarmWhen', 'condition', 'latch', 'type', 'enabled', 'broker', 'url', 'username', 'password', 'allowAnonymous',
  // rule kinds (rules/kinds/)
  'reference', 'direction', 'limit', 'per', 'window', 'expression', 'whileRunning', 'equals', 'armed', 'armedDelay',
  'bypassSeverity', 'demand', 'action', 'within', 'expectedPeriod', 'factor', 'tolerance', 'signal', 'low', 'high',
  'channels', 'voting', 'above', 'below', 'when', 'degradation', 'minCoverage', 'levels', 'max', 'reAlarm',
];

/** The YAML node at a path; for a map entry, its key node (so the line is where the key is written). */
function nodeAt(doc: Document, path: PropertyKey[]): { range?: [number, number, number] | null } | undefined {
  if (path.length === 0) return doc.contents ?? undefined;
  const parent = doc.getIn(path.slice(0, -1) as (string | number)[], true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((it) => String((it.key as { value?: unknown })?.value ?? it.key) === String(last));
    if (pair) return pair.key as { range?: [number, number, number] };
  }
  return doc.getIn(path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
}

function position(doc: Document, lc: LineCounter, path: PropertyKey[]): { line?: number; col?: number } {
  // Walk up until a node with a range exists (a missing key has no node; its parent does).
  for (let n = path.length; n >= 0; n--) {
    const node = nodeAt(doc, path.slice(0, n));
    if (node && node.range) {
      const pos = lc.linePos(node.range[0]);
      return { line: pos.line, col: pos.col };
    }
  }
  return {};
}

/** The source as the `yaml` package's document. */
function documentSource(doc: Document, lc: LineCounter): ConfigSource {
  return {
    positions: (paths) => paths.map((p) => position(doc, lc, p)),
    keysAt: (path) => {
      const node = doc.getIn(path as (string | number)[], true);
      return isMap(node) ? node.items.map((item) => String((item.key as { value?: unknown })?.value ?? item.key)) : [];
    },
  };
}

/** The source as js-yaml's events (found in one pass for all the errors) and the data they built. */
function fastSource(text: string, fast: FastYaml): ConfigSource {
  return {
    positions: (paths) => {
      const found = fast.locate(paths);
      const lineCol = lineColumns(text);
      return paths.map((p) => {
        for (let n = p.length; n >= 0; n--) {
          const at = found.get(pathKey(p.slice(0, n)));
          if (at !== undefined) return lineCol(at);
        }
        return {};
      });
    },
    keysAt: (path) => {
      let v: unknown = fast.data;
      for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : [];
    },
  };
}

/** Validates parsed YAML/JSON data. `source`, when given, adds line numbers and nearby keys to errors. */
export function validateConfig(data: unknown, source?: ConfigSource): ConfigResult {
  const parsed = gatewayConfigSchema.safeParse(data);
  if (parsed.success) return { ok: true, config: parsed.data };
  const found: { path: PropertyKey[]; at: PropertyKey[]; issue: Issue }[] = [];
  for (const top of parsed.error.issues) {
    for (const { path, issue } of flattenIssue(top)) {
      // An unknown key has no path of its own; point the line number at the key itself.
      const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
      found.push({ path, at, issue });
    }
  }
  const positions = source ? source.positions(found.map((f) => f.at)) : [];
  return { ok: false, errors: found.map((f, i) => ({ path: formatPath(f.path), message: describe(f.issue, f.path, source), ...positions[i] })) };
}

export function parseConfigText(text: string): ConfigResult {
  // Whatever the text, the answer is a config or a list of errors: a reload must never throw.
  try {
    return parseYamlConfig(text);
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: `cannot read the config: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

function parseYamlConfig(text: string): ConfigResult {
  // The common case, a well-formed file: read fast, find positions only for the errors there are.
  const fast = readYamlFast(text);
  if (fast) return validateConfig(fast.data, fastSource(text, fast));
  return parseYamlDocument(text);
}

/**
 * The `yaml` package's full document: slower, but it names the place of every YAML-level problem.
 * Exported for the tests that check both paths give the same answer.
 */
export function parseYamlDocument(text: string): ConfigResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: `YAML: ${e.message.split('\n')[0]}`, ...(pos ? { line: pos.line, col: pos.col } : {}) };
      }),
    };
  }
  // Aliases are allowed however often they are used; the size they expand to is bounded instead.
  const tooBig = expansionProblem(doc, lc);
  if (tooBig) return { ok: false, errors: [{ path: '', ...tooBig }] };
  return validateConfig(doc.toJS({ maxAliasCount: -1 }), documentSource(doc, lc));
}

/** Config bytes as text: UTF-8 only (a file saved as GBK would turn every Chinese name into "\uFFFD"). */
export function decodeConfigBytes(bytes: Buffer): { ok: true; text: string } | { ok: false; error: ConfigError } {
  const offset = isUtf8(bytes) ? -1 : firstInvalidUtf8(bytes);
  if (offset >= 0) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const byte = bytes[offset]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      ok: false,
      error: { path: '', line, col: offset - lineStart + 1, message: `not UTF-8 text (byte 0x${byte} at offset ${offset}); save the file as UTF-8 (GBK/GB2312 is not accepted)` },
    };
  }
  const text = bytes.toString('utf8');
  return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}

export function loadConfigFile(file: string): ConfigResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: `cannot read ${file}: ${(e as Error).message}` }] };
  }
  const decoded = decodeConfigBytes(bytes);
  if (!decoded.ok) return { ok: false, errors: [decoded.error] };
  return parseConfigText(decoded.text);
}

export function formatConfigErrors(file: string, errors: ConfigError[]): string {
  return errors
    .map((e) => {
      // Paths and messages quote the file's own text (keys, ids); it is shown escaped, one error a line.
      const where = e.line !== undefined ? `${untrustedText(file)}:${e.line}:${e.col}` : untrustedText(file);
      return `${where}: ${e.path ? untrustedText(e.path) + ': ' : ''}${untrustedText(e.message, 2000)}`;
    })
    .join('\n');
}

/** Loads a config or throws one Error listing every problem. */
export function loadConfigOrThrow(file: string): GatewayConfig {
  const r = loadConfigFile(file);
  if (!r.ok) throw new Error(`invalid config ${file}:\n${formatConfigErrors(file, r.errors)}`);
  return r.config;
}
