import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigErrors, loadConfigFile, parseConfigText } from '../../../gateway/config/load.js';
import { aliasBomb, anchoredConfig, HEAD } from '../../helpers/config-text.js';

describe('config text: YAML anchors, alias bombs and encodings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cfgtext-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads 101 points sharing one anchored limits block (yaml alone refuses this as an attack)', () => {
    const r = parseConfigText(anchoredConfig(101));
    if (!r.ok) throw new Error(formatConfigErrors('x', r.errors));
    const points = r.config.devices[0]!.points;
    expect(points).toHaveLength(101);
    expect(points[100]!.limits).toEqual(points[0]!.limits);
    expect(points[100]!.limits).toMatchObject({ H: 24, HH: 160 });
  });

  it('refuses a billion-laughs alias bomb quickly, with a message naming the file and line', () => {
    const file = join(dir, 'bomb.yaml');
    writeFileSync(file, aliasBomb(9));
    const started = Date.now();
    const r = loadConfigFile(file);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatConfigErrors(file, r.errors);
    expect(text).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: .*aliases expand to more than`));
  });

  it('refuses an alias used inside its own anchor, naming the anchor', () => {
    const r = parseConfigText(`${HEAD}loop: &x [1, *x]\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/\*x|anchor|alias/);
  });

  it('refuses a config saved as GBK, naming the line of the first non-UTF-8 byte', () => {
    const file = join(dir, 'gbk.yaml');
    // "一氧化碳" in GBK: D2 BB D1 F5 BB AF CC BC.
    const gbkName = Buffer.from([0xd2, 0xbb, 0xd1, 0xf5, 0xbb, 0xaf, 0xcc, 0xbc]);
    const before = Buffer.from(`${HEAD}devices:\n  - id: plc\n    type: modbus-tcp\n    host: 127.0.0.1\n    points:\n      - { id: co, name: `);
    writeFileSync(file, Buffer.concat([before, gbkName, Buffer.from(`, table: holding, address: 0 }\n`)]));
    const r = loadConfigFile(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatConfigErrors(file, r.errors)).toMatch(new RegExp(`gbk\\.yaml:7:\\d+: not UTF-8 text \\(byte 0x[0-9A-F]{2} at offset \\d+\\); save the file as UTF-8`));
  });

  it('accepts UTF-8 with a byte-order mark (Windows Notepad)', () => {
    const file = join(dir, 'bom.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(anchoredConfig(2))]));
    const r = loadConfigFile(file);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.devices[0]!.points[0]!.name).toBe('一氧化碳0');
  });

  it('refuses a map or list used as a key, naming its line, instead of turning it into "[object Object]"', () => {
    const r = parseConfigText(`${HEAD}devices:\n  - { id: plc, type: modbus-tcp, host: 127.0.0.1, points: [] }\n? { H: 24 }\n: x\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ line: 4, message: expect.stringContaining('a key must be a plain value') });
  });

  it('never throws on deeply nested text', () => {
    const deep = `${HEAD}x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    const r = parseConfigText(deep);
    expect(r.ok).toBe(false);
  });
});
