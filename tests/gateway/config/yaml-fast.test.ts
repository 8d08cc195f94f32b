import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseDocument, stringify } from 'yaml';
import { parseConfigText, parseYamlDocument, type ConfigResult } from '../../../gateway/config/load.js';
import { readYamlFast } from '../../../gateway/config/yaml-fast.js';
import { anchoredConfig, HEAD } from '../../helpers/config-text.js';
import { bigConfigYaml } from '../../helpers/big-config.js';

/**
 * The loader reads a config with js-yaml's event parser and falls back to the `yaml` package's
 * document for YAML-level problems. The two must never disagree: the same file means the same
 * config, and an error names the same path, message, line and column, whichever path found it.
 */

/** The `yaml` package's reading of a text, or undefined when it reports an error. */
function yamlPackage(text: string): { data: unknown } | undefined {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return { data: doc.toJS({ maxAliasCount: -1 }) as unknown };
  } catch {
    return undefined; // an alias before its anchor
  }
}

/** A result with only what the operator sees. */
function seen(r: ConfigResult): unknown {
  return r.ok ? { ok: true, config: r.config } : { ok: false, errors: r.errors };
}

// YAML syntax pieces (no explicit tags: `!!float 1` is a number to js-yaml and an unresolved tag to yaml).
const TOKENS = ['a:', 'b:', 'k: v', '- ', '  ', '    ', '\n', '{', '}', '[', ']', ',', ': ', '&a ', '*a', '&b ', '*b', '? ', '---\n', '...\n', '"x\\ty"', "'it''s'", '|\n  t\n', '>-\n  f\n  g\n', '#c', '0x1F', '0o17', '017', '1e3', '1_000', '.inf', '-.Inf', '.NaN', 'yes', 'No', 'True', '~', 'null', 'NULL', '2024-01-01', '+12', '-0', '.5', '一氧化碳', '<<: *a', '1.0'];

describe('fast config reading agrees with the yaml package', () => {
  // Both parsers follow YAML 1.2, but on malformed corner cases (`a:: &b a:`) js-yaml sometimes
  // reads a plain scalar where yaml reports an error; what must hold is that a text both read means
  // the same data.
  it('reads random YAML that both parsers accept to the same data', () => {
    let both = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (parts) => {
        const text = parts.join('');
        const fast = readYamlFast(text);
        const slow = yamlPackage(text);
        if (!fast || !slow) return;
        both++;
        expect(fast.data, text).toEqual(slow.data);
      }),
      { numRuns: 2500 },
    );
    expect(both).toBeGreaterThan(250); // the comparison ran on a good share of the texts
  });

  it('gives the same config or the same errors (path, message, line, column) for configs with random values planted', () => {
    const base = parseConfigText(anchoredConfig(3));
    if (!base.ok) throw new Error('base config invalid');
    const plain = JSON.parse(JSON.stringify(base.config)) as Record<string, unknown>;
    const key = fc.oneof(fc.constantFrom('gateway', 'devices', 'points', 'limits', 'rules', 'mqtt', 'storage', 'alarms', 'H', 'HH', 'id', 'address', 'limts', 'adress', 'name'), fc.nat(3));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(key, { minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 4 }), fc.constantFrom('block', 'flow', 'any'), (plants, style) => {
        const cfg = structuredClone(plain);
        for (const [path, value] of plants) {
          let at: Record<string | number, unknown> = cfg;
          for (const k of path.slice(0, -1)) {
            const next = at[k];
            if (!next || typeof next !== 'object') break;
            at = next as Record<string | number, unknown>;
          }
          at[path.at(-1)!] = value;
        }
        const text = stringify(cfg, { aliasDuplicateObjects: false, collectionStyle: style });
        expect(seen(parseConfigText(text))).toEqual(seen(parseYamlDocument(text)));
      }),
      { numRuns: 400 },
    );
  });

  it('names the same places in a config with anchors, aliases and errors inside and beside them', () => {
    const text = anchoredConfig(20)
      .replace('deadband: 2 }', 'deadband: 2, onDelay: soon }') // inside the anchor: every alias inherits it
      .replace('address: 7,', 'adress: 7,')
      .replace("name: 一氧化碳15,", "name: '',");
    const fast = parseConfigText(text);
    expect(fast.ok).toBe(false);
    expect(seen(fast)).toEqual(seen(parseYamlDocument(text)));
    if (fast.ok) return;
    const lines = text.split('\n');
    const lineOf = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
    expect(fast.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'devices[0].points[7]', message: expect.stringContaining('unknown key "adress" (did you mean "address"?)'), line: lineOf('adress: 7') }),
        expect.objectContaining({ path: 'devices[0].points[0].limits.onDelay', line: lineOf('&co') }),
        // Through an alias: the key that holds the alias is the place.
        expect.objectContaining({ path: 'devices[0].points[12].limits.onDelay', line: lineOf('id: co12,'), col: lineOf('id: co12,') > 0 ? lines[lineOf('id: co12,') - 1]!.indexOf('limits') + 1 : 0 }),
        expect.objectContaining({ path: 'devices[0].points[15].name', line: lineOf("name: ''") }),
      ]),
    );
  });

  it('names the same places in a plant-sized config with errors spread through it', () => {
    const lines = bigConfigYaml(3000).split('\n');
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
    lines[at('id: d5.p4,')] = lines[at('id: d5.p4,')]!.replace('HH: 90', 'HH: ninety');
    lines[at('id: d20.p1,')] = lines[at('id: d20.p1,')]!.replace('unit: °C', 'unti: °C');
    lines[at('id: d29.p0,')] = lines[at('id: d29.p0,')]!.replace('preset: CO_GAS_AREA', 'preset: CO_GAS');
    lines[at('id: r40,')] = lines[at('id: r40,')]!.replace('kind: discrete', 'kind: discret');
    const text = lines.join('\n');
    const fast = parseConfigText(text);
    expect(fast.ok).toBe(false);
    if (fast.ok) return;
    expect(fast.errors.length).toBeGreaterThanOrEqual(4);
    expect(fast.errors.every((e) => e.line !== undefined && e.line > 1)).toBe(true);
    expect(seen(fast)).toEqual(seen(parseYamlDocument(text)));
  }, 60_000);

  it('leaves YAML errors, duplicate keys and non-scalar keys to the yaml package, which names their line', () => {
    for (const text of [`${HEAD}devices: [\n`, `${HEAD}gateway: {}\n`, `${HEAD}? [a]\n: 1\n`, `${HEAD}x: &x [1, *x]\n`, `${HEAD}---\n${HEAD}`, `${HEAD}~: 1\n`]) {
      expect(readYamlFast(text), text).toBeUndefined();
      const r = parseConfigText(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]!.line, text).toBeGreaterThanOrEqual(1);
    }
  });
});
