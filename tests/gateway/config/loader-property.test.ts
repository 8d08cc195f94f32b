import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { decodeConfigBytes, formatConfigErrors, parseConfigText } from '../../../gateway/config/load.js';
import { anchoredConfig } from '../../helpers/config-text.js';

/** The loader's whole answer for some bytes: a config, or errors that format to clean lines. */
function load(bytes: Buffer): void {
  const decoded = decodeConfigBytes(bytes);
  if (!decoded.ok) {
    expect(decoded.error.line).toBeGreaterThanOrEqual(1);
    return;
  }
  const r = parseConfigText(decoded.text);
  if (r.ok) return;
  expect(r.errors.length).toBeGreaterThan(0);
  for (const line of formatConfigErrors('plant.yaml', r.errors).split('\n')) {
    expect(line.startsWith('plant.yaml')).toBe(true);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: config errors must print no raw control character
    expect(line).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
  }
}

// Pieces of YAML syntax, so random text reaches the parser's and the loader's corners (anchors,
// aliases, tags, flow and block collections, documents) rather than failing on the first character.
const TOKENS = ['gateway:', 'devices:', 'points:', 'rules:', '- ', '  ', '\n', '{', '}', '[', ']', ',', ': ', '&a ', '*a', '&b ', '*b', '!!str ', '!!int ', '!!map ', '? ', '---\n', '...\n', '"\\x1b[31m"', "'x'", '|\n  ', '>\n  ', '#c', 'id: x', 'limits: ', 'H: 24', '<<: *a', '%YAML 1.2\n', '\t', '\u2028', '一氧化碳', '0x1F', '.inf', '~', 'null'];

describe('config loader under arbitrary input (property)', () => {
  // The loader must not print either: a process warning goes raw to the operator's terminal.
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  beforeAll(() => process.on('warning', onWarning));
  afterAll(() => {
    process.off('warning', onWarning);
    expect(warnings).toEqual([]);
  });

  it('answers random bytes with a config or clean errors, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => load(Buffer.from(bytes))), { numRuns: 1500 });
  });

  it('answers random YAML-like text with a config or clean errors, never an exception', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }), (parts) => load(Buffer.from(parts.join('')))),
      { numRuns: 3000 },
    );
  });

  it('answers a valid config with random values planted anywhere with a config or clean errors', () => {
    const base = parseConfigText(anchoredConfig(3));
    if (!base.ok) throw new Error('base config invalid');
    const plain = JSON.parse(JSON.stringify(base.config)) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(fc.oneof(fc.constantFrom('gateway', 'devices', 'points', 'limits', 'rules', 'mqtt', 'storage', 'alarms', 'H', 'id', 'address'), fc.nat(3)), { minLength: 1, maxLength: 5 }), fc.jsonValue()), { maxLength: 4 }), (plants) => {
        const cfg = structuredClone(plain);
        for (const [path, value] of plants) {
          let at: Record<string | number, unknown> = cfg;
          for (const key of path.slice(0, -1)) {
            const next = at[key];
            if (!next || typeof next !== 'object') break;
            at = next as Record<string | number, unknown>;
          }
          at[path.at(-1)!] = value;
        }
        load(Buffer.from(stringify(cfg, { aliasDuplicateObjects: false })));
      }),
      { numRuns: 500 },
    );
  });
});
