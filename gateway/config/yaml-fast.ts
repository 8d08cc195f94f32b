import { CORE_SCHEMA, EVENT_ID, constructFromEvents, getScalarValue, parseEvents, SCALAR_STYLE, type Event } from 'js-yaml';
import { MAX_EXPANDED_NODES } from './yaml-expansion.js';

/**
 * The fast way to read a config: js-yaml's event parser and constructor, about ten times faster and
 * leaner than the `yaml` package's document model (a 50,000-point config went from 25 s and 870 MB
 * to about 2 s and 300 MB). The events are flat records of source offsets, so the same list that
 * built the data also answers "where in the file is devices[97].points[4]?" for an error, without
 * keeping a node tree for the whole file.
 *
 * Only the well-formed, ordinary case is handled here: whenever the text has a YAML error, more than
 * one document, a key that is not a plain value, an alias used inside its own anchor, or aliases
 * that expand past the bound, `readYamlFast` returns undefined and the caller takes the `yaml`
 * package's path, whose messages and positions for those cases are tested. So a broken file costs
 * what it always did, and a good one costs a tenth of it.
 *
 * Both parsers read YAML 1.2's core schema (no `<<` merge keys, no timestamps, `yes` is a string);
 * the loader's property tests check they agree.
 */

export interface FastYaml {
  data: unknown;
  /** Source offset of the value at a path (for a map entry, of its key), or undefined. */
  locate(paths: readonly (readonly PropertyKey[])[]): Map<string, number>;
}

/** One path as a map key: segments typed, so key "1" and index 1 differ. */
export function pathKey(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `\u0000#${seg}` : `\u0000.${String(seg)}`;
  return out;
}

const IN_PROGRESS = -1;
const DOCUMENT_MARKUP = /^[ \t]*(---|\.\.\.|%)/gm;
const NULL_KEY = /^(~|null|Null|NULL)?$/;

/**
 * The data of a single-document YAML text whose aliases expand to at most `limit` values, or
 * undefined when the `yaml` package must read it (see above).
 */
export function readYamlFast(text: string, limit = MAX_EXPANDED_NODES): FastYaml | undefined {
  // Directives, document-end markers and second documents: where the two parsers differ in corner
  // cases (an empty document before "..."), and no config needs them.
  // One "---" at the start of a line is all a config may have on this path.
  const markup = text.match(DOCUMENT_MARKUP) ?? [];
  if (markup.length > 1 || (markup.length === 1 && markup[0] !== '---')) return undefined;
  let events: Event[];
  try {
    // Deeper than js-yaml's default 100 levels is no config: the `yaml` path refuses it.
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  if (!checkEvents(text, events, limit)) return undefined;
  let data: unknown;
  try {
    // json: false, so a duplicate key is an error (and then the `yaml` path names its line).
    const docs = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: -1 });
    if (docs.length !== 1) return undefined;
    data = docs[0];
  } catch {
    return undefined;
  }
  // The events are not kept: about a hundred bytes each, a million of them for 50,000 points, while
  // validation needs the memory. An error re-reads them (a fraction of a second) to find its place.
  return { data, locate: (paths) => locate(text, parseEvents(text, {}), paths) };
}

const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** A float too large for a double ("1e400"): Infinity to the yaml package, a string to js-yaml. */
function overflowsToInfinity(text: string, start: number, end: number): boolean {
  const c = text.charCodeAt(start);
  // Only a number can overflow: a digit, sign or point first, and an exponent or 309 digits.
  if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return false;
  const s = text.slice(start, end);
  return (end - start > 308 || /[eE]/.test(s)) && FLOAT.test(s) && !Number.isFinite(Number(s));
}

interface Frame {
  /** A mapping alternates key and value; a sequence has only values. */
  map: boolean;
  keyNext: boolean;
  size: number;
  anchor: string | undefined;
}

/**
 * One pass over the events: the expanded size (each alias adds its anchor's size, computed once, so
 * the pass is linear however the aliases nest), and the cases left to the `yaml` path.
 */
function checkEvents(text: string, events: readonly Event[], limit: number): boolean {
  const sizes = new Map<string, number>();
  const stack: Frame[] = [];
  let documents = 0;
  // Adds a finished value to its parent; false when the bound is passed.
  const add = (size: number): boolean => {
    const parent = stack[stack.length - 1];
    if (!parent) return true;
    parent.size += size;
    if (parent.map) parent.keyNext = !parent.keyNext;
    return parent.size <= limit;
  };
  const keyPosition = () => stack[stack.length - 1]?.map === true && stack[stack.length - 1]!.keyNext;
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1) return false;
        stack.length = 0;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (keyPosition()) return false;
        const anchor = e.anchorStart >= 0 ? text.slice(e.anchorStart, e.anchorEnd) : undefined;
        if (anchor !== undefined) sizes.set(anchor, IN_PROGRESS);
        stack.push({ map: e.type === EVENT_ID.MAPPING, keyNext: true, size: 1, anchor });
        break;
      }
      case EVENT_ID.SCALAR:
        // A null key is "" to the yaml package and "null" to js-yaml.
        if (keyPosition() && e.style === SCALAR_STYLE.PLAIN && (e.valueStart < 0 || NULL_KEY.test(text.slice(e.valueStart, e.valueEnd)))) return false;
        if (e.style === SCALAR_STYLE.PLAIN && e.valueStart >= 0 && overflowsToInfinity(text, e.valueStart, e.valueEnd)) return false;
        if (e.anchorStart >= 0) sizes.set(text.slice(e.anchorStart, e.anchorEnd), 1);
        if (!add(1)) return false;
        break;
      case EVENT_ID.ALIAS: {
        if (keyPosition()) return false;
        const size = sizes.get(text.slice(e.anchorStart, e.anchorEnd));
        if (size === undefined || size === IN_PROGRESS) return false;
        if (!add(size)) return false;
        break;
      }
      case EVENT_ID.POP: {
        const frame = stack.pop();
        if (!frame) break; // the document's end
        if (frame.anchor !== undefined) sizes.set(frame.anchor, frame.size);
        if (!add(frame.size)) return false;
        break;
      }
    }
  }
  return documents === 1;
}

/** Where a value starts: a quoted scalar at its quote, as the `yaml` package counts. */
function startOf(e: Event): number {
  switch (e.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return e.start;
    case EVENT_ID.SCALAR:
      if (e.valueStart < 0) return -1;
      return e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED ? e.valueStart - 1 : e.valueStart;
    case EVENT_ID.ALIAS:
      return e.anchorStart - 1;
    default:
      return -1;
  }
}

/**
 * Offsets of the given paths and of every prefix of them, in one pass that skips every subtree no
 * path enters. A path through an alias stops at the alias (its prefix is what is found), as the
 * `yaml` package's getIn does.
 */
function locate(text: string, events: readonly Event[], paths: readonly (readonly PropertyKey[])[]): Map<string, number> {
  const wanted = new Set<string>();
  for (const p of paths) for (let n = 0; n <= p.length; n++) wanted.add(pathKey(p.slice(0, n)));
  const found = new Map<string, number>();
  // The path of the value being read, as a key; per open collection, its path key and next index.
  type Open = { key: string; map: boolean; keyNext: boolean; index: number; entryKey: string | undefined };
  const stack: Open[] = [];
  let i = 0;
  const skip = (): void => {
    // Skips the collection whose start event was just read, up to its matching POP.
    let depth = 1;
    while (depth > 0 && i < events.length) {
      const t = events[i++]!.type;
      if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
      else if (t === EVENT_ID.POP) depth--;
    }
  };
  // Path key of the value now starting, or undefined when it is a map key (handled with its value).
  const childKey = (): string | undefined => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.map) return top.entryKey === undefined ? undefined : `${top.key}\u0000.${top.entryKey}`;
    return `${top.key}\u0000#${top.index}`;
  };
  const finished = (): void => {
    const top = stack[stack.length - 1];
    if (!top) return;
    if (top.map) {
      top.keyNext = !top.keyNext;
      if (top.keyNext) top.entryKey = undefined;
    } else top.index++;
  };
  while (i < events.length) {
    const e = events[i++]!;
    if (e.type === EVENT_ID.DOCUMENT) continue;
    if (e.type === EVENT_ID.POP) {
      if (stack.pop()) finished();
      continue;
    }
    const top = stack[stack.length - 1];
    if (top?.map && top.keyNext) {
      // A key: plain values only reach here (the checks sent the others to the `yaml` path).
      if (e.type === EVENT_ID.SCALAR) {
        const name = getScalarValue(text, e);
        top.entryKey = name;
        const key = `${top.key}\u0000.${name}`;
        const at = startOf(e);
        if (wanted.has(key) && at >= 0) found.set(key, at);
      }
      finished();
      continue;
    }
    const key = childKey();
    const enters = key !== undefined && wanted.has(key);
    if (enters && !found.has(key)) {
      const at = startOf(e);
      if (at >= 0) found.set(key, at);
    }
    if (e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE) {
      if (!enters) {
        skip();
        finished();
        continue;
      }
      stack.push({ key: key, map: e.type === EVENT_ID.MAPPING, keyNext: true, index: 0, entryKey: undefined });
      continue;
    }
    finished();
  }
  return found;
}

/** 1-based line and column of offsets in text, with the line starts found once. */
export function lineColumns(text: string): (offset: number) => { line: number; col: number } {
  let starts: number[] | undefined;
  return (offset) => {
    if (!starts) {
      starts = [0];
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  };
}
