import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig, formatConfigErrors, loadConfigFile } from '../../gateway/config/load.js';
import { configJsonSchema, JSON_SCHEMA_FILE } from '../../gateway/config/write-json-schema.js';
import { DEMO_CONFIG } from '../../gateway/cli/commands/demo.js';
import { usccCheckChar, usccProblem } from '../../gateway/config/uscc.js';

/** A small valid config as an object; tests break one thing at a time. */
function baseConfig() {
  return {
    gateway: { id: 'gw1', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' } },
    devices: [
      {
        id: 'plc1',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        points: [
          { id: 'co1', name: '一氧化碳1', unit: 'ppm', table: 'holding', address: 0, limits: { preset: 'CO_GAS_AREA' } },
          { id: 'fault1', name: '故障', table: 'discrete', address: 0 },
        ],
      },
      {
        id: 'plc2',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        points: [
          { id: 'temp', name: '温度', unit: '°C', table: 'holding', address: 10, dataType: 'float32', range: { low: 0, high: 200 }, limits: { H: 70, HH: 90, deadband: '1%' } },
          { id: 'dp', name: '压差', unit: 'Pa', table: 'input', address: 0 },
        ],
      },
    ],
    rules: [{ id: 'r1', kind: 'discrete', point: 'fault1' }],
  };
}

function errorsOf(cfg: unknown) {
  const r = validateConfig(cfg);
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('config validation', () => {
  it('accepts a valid config and fills defaults', () => {
    const r = validateConfig(baseConfig());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const dev = r.config.devices[0]!;
    expect(dev.type === 'modbus-tcp' && dev.port).toBe(502);
    expect(dev.type === 'modbus-tcp' && dev.pollInterval).toBe(1000);
    expect(r.config.mqtt.allowAnonymous).toBe(false);
  });

  it('refuses a centre summary sent to an uplink target that does not exist, naming the field', () => {
    const centre = (targets: string[]) => ({
      gateway: { id: 'county', enterprise: { name: '某县应急管理局', creditCode: '11350121MB0000001' + usccCheckChar('11350121MB0000001')! } },
      devices: [],
      centre: { issuer: '某县监测中心', broker: { url: 'mqtt://127.0.0.1:1883' }, summary: { targets } },
      uplink: { targets: [{ name: 'city', transport: { profile: 'mqtt', url: 'mqtt://127.0.0.1:1883' }, points: [{ point: 'gateway.centre.broker_connected', code: 'CENTRE-INTAKE' }] }] },
    });
    expect(validateConfig(centre(['city'])).ok).toBe(true);
    expect(errorsOf(centre(['province']))).toEqual([expect.stringMatching(/^centre\.summary\.targets\[0\]: no uplink target named "province" \(uplink\.targets: city\)/)]);
  });

  it('names the path of a bad field inside a device point', () => {
    const cfg = baseConfig();
    (cfg.devices[1]!.points[1] as { address: number }).address = 70000;
    expect(errorsOf(cfg)).toEqual([expect.stringMatching(/^devices\[1\]\.points\[1\]\.address: Too big/)]);
  });

  it('rejects unknown keys and suggests the intended one, so a typo never drops a limit', () => {
    const cfg = baseConfig();
    const p = cfg.devices[1]!.points[0] as Record<string, unknown>;
    p.limts = p.limits;
    delete p.limits;
    expect(errorsOf(cfg)).toEqual(['devices[1].points[0]: unknown key "limts" (did you mean "limits"?)']);
  });

  it('reports a rule naming an unknown point at the rule field', () => {
    const cfg = baseConfig();
    cfg.rules[0]!.point = 'fault2';
    expect(errorsOf(cfg)).toEqual(['rules[0].point: unknown point "fault2" (did you mean "fault1"?)']);
  });

  it('reports duplicate device and point ids', () => {
    const cfg = baseConfig();
    cfg.devices[1]!.id = 'plc1';
    cfg.devices[1]!.points[1]!.id = 'co1';
    expect(errorsOf(cfg)).toEqual([
      'devices[1].id: duplicate device id "plc1" (also devices[0])',
      'devices[1].points[1].id: duplicate point id "co1" (also devices[0].points[0])',
    ]);
  });

  it('checks limits: order, preset unit, percentage deadband needs a range', () => {
    const cfg = baseConfig();
    const temp = cfg.devices[1]!.points[0] as { limits: Record<string, unknown>; range?: unknown };
    temp.limits.HH = 60;
    delete temp.range;
    const co = cfg.devices[0]!.points[0] as { unit: string };
    co.unit = 'mg/m3';
    expect(errorsOf(cfg)).toEqual([
      'devices[0].points[0].limits.preset: preset CO_GAS_AREA is in ppm but the point\'s unit is "mg/m3"',
      'devices[1].points[0].limits.deadband: a percentage deadband needs the point\'s range (range: { low, high })',
      'devices[1].points[0].limits.HH: HH (60) must be greater than H (70)',
    ]);
  });

  it('checks the unified social credit code check character', () => {
    const cfg = baseConfig();
    cfg.gateway.enterprise.creditCode = '91350100M000100Y44';
    expect(errorsOf(cfg)).toEqual(['gateway.enterprise.creditCode: check character should be "3", got "4"']);
    expect(usccProblem('91350100M000100Y43')).toBeUndefined();
    expect(usccProblem('91350100M000100I43')).toMatch(/not allowed/);
  });

  it('gives file line numbers for YAML errors and schema errors', () => {
    const yaml = ['gateway:', '  id: gw1', '  enterprise: { name: x, creditCode: 91350100M000100Y43 }', 'devices:', '  - id: d', '    type: modbus-tcp', '    host: 127.0.0.1', '    points:', '      - { id: p, name: n, table: holding, address: 1, limts: {} }'].join('\n');
    const r = parseConfigText(yaml);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatConfigErrors('plant.yaml', r.errors)).toBe('plant.yaml:9:55: devices[0].points[0]: unknown key "limts" (did you mean "limits"?)');
    const broken = parseConfigText('gateway:\n  id: [unclosed\n');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.errors[0]!.line).toBeGreaterThan(0);
  });

  it('rejects a device type no adapter handles, naming the field', () => {
    const cfg = baseConfig();
    (cfg.devices[0] as { type: string }).type = 'profibus';
    expect(errorsOf(cfg)[0]).toMatch(/^devices\[0\]\.type: /);
  });

  it('the demo config is valid', () => {
    const r = loadConfigFile(DEMO_CONFIG);
    expect(r.ok ? 'ok' : formatConfigErrors(DEMO_CONFIG, r.errors)).toBe('ok');
  });

  it('the committed JSON Schema matches the zod schema (run `npm run schema` after changing it)', () => {
    expect(readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(configJsonSchema());
  });
});
