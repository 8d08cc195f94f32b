import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../gateway/config/load.js';
import { pointDefinitions } from '../../../gateway/config/schema.js';
import { buildBaseData, baseDataFingerprint } from '../../../gateway/uplink/base-data.js';
import { uplinkTargets } from '../../../gateway/uplink/config.js';
import { CO_LOCATION_TYPE_CODES, EQUIPMENT_TYPE_CODES } from '../../../gateway/core/platform-codes.js';

const demo = readFileSync(join(import.meta.dirname, '../../../gateway/config/demo-plant.yaml'), 'utf8');

function parse(uplink: string) {
  return parseConfigText(`${demo}\nuplink:\n${uplink.replace(/^\n/, '')}`);
}

const TRANSPORT = `  transport: { profile: steel-rest, url: "http://127.0.0.1:1", appKey: k, appSecret: s }\n`;

describe('platform code config', () => {
  it('accepts known equipment type and location codes, and builds the base data from the points', () => {
    const r = parse(`${TRANSPORT}  equipment:
    - { code: BF01, name: 1#高炉, type: "01" }
    - { code: CO-BOOST, name: 加压机房一氧化碳报警器, type: "13" }
  points:
    - { point: booster.co, code: CO-2002-01, equipment: CO-BOOST, locationType: "2002", tag: AT-2002-01 }
    - { point: bf1.top_pressure, code: BF01-TP, equipment: BF01, tag: PT-101 }
`);
    expect(r.ok, JSON.stringify(!r.ok && r.errors)).toBe(true);
    if (!r.ok) return;
    const points = pointDefinitions(r.config);
    const doc = buildBaseData({
      config: uplinkTargets(r.config.uplink)[0]!.config,
      enterprise: { code: r.config.gateway.enterprise.creditCode, name: r.config.gateway.enterprise.name },
      gateway: { code: 'GW-1' },
      pointOf: (id) => points.get(id),
      unitOf: () => undefined,
    });
    expect(doc.enterprise).toEqual({ code: r.config.gateway.enterprise.creditCode, name: r.config.gateway.enterprise.name });
    expect(doc.equipment).toEqual([
      { code: 'BF01', name: '1#高炉', type: '01', typeName: '高炉' },
      { code: 'CO-BOOST', name: '加压机房一氧化碳报警器', type: '13', typeName: '固定式一氧化碳报警器' },
    ]);
    const co = points.get('booster.co')!;
    expect(doc.targets[0]).toMatchObject({ code: 'CO-2002-01', name: co.name, unit: co.unit, equipmentCode: 'CO-BOOST', tag: 'AT-2002-01', locationType: '2002', locationTypeName: '加压机房' });
    // Limits as resolved from the point (presets included), in the point's unit.
    expect(Object.keys(doc.targets[0]!.limits).length).toBeGreaterThan(0);
    expect(doc.targets[1]).toMatchObject({ code: 'BF01-TP', equipmentCode: 'BF01', tag: 'PT-101' });
    expect(doc.fingerprint).toBe(baseDataFingerprint({ enterprise: doc.enterprise, gateway: doc.gateway, equipment: doc.equipment, targets: doc.targets }));
  });

  it('an unknown equipment type or location code is a config error naming the path', () => {
    const r = parse(`${TRANSPORT}  equipment:
    - { code: EAF1, name: 1#电炉, type: "05" }
  points:
    - { point: booster.co, code: CO-2002-01, locationType: "2099" }
    - { point: bf1.top_pressure, code: BF01-TP, equipment: BF02 }
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e.message]));
    expect(byPath['uplink.equipment[0].type'] ?? byPath['uplink.equipment.0.type']).toMatch(/unknown equipment type code "05".*01 高炉/);
    expect(JSON.stringify(r.errors)).toMatch(/unknown location type code \\"2099\\"/);
    expect(JSON.stringify(r.errors)).toMatch(/unknown equipment \\"BF02\\"/);
    expect(r.errors.map((e) => e.path).join(' ')).toMatch(/uplink.*points.*0.*locationType/);
  });

  it('a config may add codes the lists do not know yet, but not rename a known one', () => {
    const ok = parse(`${TRANSPORT}  codeLists:
    equipmentTypes: { "05": 电弧炉 }
    locationTypes: { "2099": 煤气排水器室 }
  equipment:
    - { code: EAF1, name: 1#电炉, type: "05" }
  points:
    - { point: booster.co, code: CO-2002-01, locationType: "2099" }
`);
    expect(ok.ok, JSON.stringify(!ok.ok && ok.errors)).toBe(true);
    const bad = parse(`${TRANSPORT}  codeLists:
    equipmentTypes: { "01": 电弧炉 }
  points:
    - { point: booster.co, code: CO-2002-01 }
`);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(JSON.stringify(bad.errors)).toContain('already known as \\"高炉\\"');
  });

  it('a fixed CO detector needs its location type', () => {
    const r = parse(`${TRANSPORT}  equipment:
    - { code: CO1, name: 一氧化碳报警器, type: "13" }
  points:
    - { point: booster.co, code: CO-2002-01, equipment: CO1 }
`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(JSON.stringify(r.errors)).toContain('needs its location type code');
  });

  it('the code lists hold the codes DOMAIN.md names', () => {
    expect(Object.keys(EQUIPMENT_TYPE_CODES).sort()).toEqual(['01', '02', '07', '08', '09', '10', '11', '12', '13']);
    expect(Object.keys(CO_LOCATION_TYPE_CODES).filter((c) => c.startsWith('10'))).toEqual(['1001', '1002', '1003', '1004', '1005', '1006', '1007']);
    expect(CO_LOCATION_TYPE_CODES['2019']).toBe('煤气柜活塞上部');
  });
});
