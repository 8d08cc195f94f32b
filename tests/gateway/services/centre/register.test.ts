import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../gateway/store/database.js';
import { usccCheckChar } from '../../../../gateway/config/uscc.js';
import { migrateCentre } from '../../../../gateway/services/centre/centre-db.js';
import { EnterpriseRegister } from '../../../../gateway/services/centre/register.js';

const code = (first17: string): string => first17 + usccCheckChar(first17)!;
const A = code('91350100M000100Y4');
const B = code('91350100MA2XY0123');

function register(): EnterpriseRegister {
  const db = openDatabase(':memory:');
  migrateCentre(db);
  return new EnterpriseRegister(db);
}

describe('enterprise register', () => {
  it('refuses a credit code with a wrong check character, naming the field', () => {
    const r = register();
    const bad = A.slice(0, 17) + (A[17] === '1' ? '2' : '1');
    expect(() => r.upsert({ code: bad, name: '甲', industry: 'steel', town: '城关镇' }, 'u', 1)).toThrow(/check character/);
    expect(r.size).toBe(0);
  });

  it('imports a CSV with Chinese headers and names, reports bad rows by line and keeps the good ones', () => {
    const r = register();
    const csv = [
      '\uFEFF统一社会信用代码,企业名称,行业,粉尘类型,乡镇街道,应接入,网关编码,等级,联系人,联系电话',
      `${A},甲钢铁有限公司,钢铁,,城关镇,是,gw-a1;gw-a2,B,张三,0591-8888888`,
      `${B},"乙粉末冶金有限公司, 二分厂",粉尘涉爆,金属粉尘（铝镁等）,东湖镇,否,,,李四,13800000000`,
      `91350100M000100Y44,错码企业,钢铁,,城关镇,是,,,,`,
      `${code('91350100MA2XY0124')},丙公司,造船,,城关镇,是,,,,`,
    ].join('\r\n');
    const result = r.importCsv(csv, '张科长', 1000);
    expect(result.added).toBe(2);
    expect(result.problems.map((p) => p.line)).toEqual([4, 5]);
    expect(result.problems[0]!.message).toMatch(/^code: check character/);
    expect(result.problems[1]!.message).toMatch(/^industry:/);
    expect(r.get(A)).toMatchObject({ name: '甲钢铁有限公司', industry: 'steel', grade: 'B', obliged: true, gateways: ['gw-a1', 'gw-a2'], contacts: [{ name: '张三', phone: '0591-8888888' }] });
    expect(r.get(B)).toMatchObject({ name: '乙粉末冶金有限公司, 二分厂', industry: 'dust_explosion', dustType: 'metal', obliged: false, grade: 'D' });
    expect(r.gradeHistory(A)).toEqual([{ enterpriseCode: A, from: null, to: 'B', user: '张科长', reason: '登记', at: 1000 }]);
  });

  it('does not change a grade by import: that needs a reason through setGrade', () => {
    const r = register();
    r.upsert({ code: A, name: '甲', industry: 'steel', town: '城关镇', grade: 'C' }, 'u', 1);
    const result = r.importCsv(`code,name,industry,town,grade\r\n${A},甲（更名）,steel,城关镇,A\r\n`, 'u', 2);
    expect(result.updated).toBe(1);
    expect(result.problems[0]!.message).toMatch(/graded C/);
    expect(r.get(A)).toMatchObject({ name: '甲（更名）', grade: 'C' });
  });

  it('keeps the register, gateways and grade history across a reopen of the database', () => {
    const db = openDatabase(':memory:');
    migrateCentre(db);
    const r1 = new EnterpriseRegister(db);
    r1.upsert({ code: A, name: '甲', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, 'u', 1);
    r1.setGrade(A, 'A', '王主任', '重大隐患未整改', 2);
    const r2 = new EnterpriseRegister(db);
    expect(r2.get(A)).toMatchObject({ grade: 'A', gateways: ['gw-a'] });
    expect(r2.gradeHistory(A).map((h) => `${h.from}>${h.to}:${h.user}`)).toEqual(['null>D:u', 'D>A:王主任']);
  });

  it('refuses a gateway code already registered to another enterprise', () => {
    const r = register();
    r.upsert({ code: A, name: '甲', industry: 'steel', town: '城关镇', gateways: ['gw-1'] }, 'u', 1);
    expect(() => r.upsert({ code: B, name: '乙', industry: 'steel', town: '城关镇', gateways: ['gw-1'] }, 'u', 1)).toThrow(/belongs to enterprise/);
  });
});

describe('register: centres of the tier below', () => {
  const COUNTY = code('11350121MB0000001');

  it('registers a centre with its region code and level, apart from the enterprises, without a grade', () => {
    const db = openDatabase(':memory:');
    migrateCentre(db);
    const r = new EnterpriseRegister(db);
    r.upsert({ code: A, name: '甲', industry: 'steel', town: '城关镇', gateways: ['gw-a'] }, 'u', 1);
    const { centre, created } = r.upsertCentre({ kind: 'centre', code: COUNTY, name: '某县监测中心', regionCode: '350121', level: 'county', gateways: ['county-350121'] }, 2);
    expect(created).toBe(true);
    expect(centre).toMatchObject({ kind: 'centre', regionCode: '350121', level: 'county', gateways: ['county-350121'] });
    expect(centre).not.toHaveProperty('grade');
    expect(r.list().map((e) => e.code)).toEqual([A]);
    expect(r.size).toBe(1);
    expect(r.centres().map((c) => c.code)).toEqual([COUNTY]);
    expect(r.get(COUNTY)).toBeUndefined();
    expect(r.entry(COUNTY)?.kind).toBe('centre');
    expect(() => r.setGrade(COUNTY, 'A', 'u', '试图定级', 3)).toThrow(/has no grade/);
    expect(() => r.upsertCentre({ kind: 'centre', code: COUNTY, name: 'x', regionCode: '3501', level: 'county' }, 3)).toThrow(/six-digit/);
    expect(() => r.upsertCentre({ kind: 'centre', code: code('11350122MB0000002'), name: 'x', regionCode: '350122', level: 'county', gateways: ['gw-a'] }, 3)).toThrow(/belongs to enterprise/);
    expect(() => r.upsert({ code: COUNTY, name: 'x', industry: 'other', town: 't' }, 'u', 3)).toThrow(/monitoring centre/);
    // It survives a reopen as a centre.
    const again = new EnterpriseRegister(db);
    expect(again.centre(COUNTY)).toMatchObject({ name: '某县监测中心', gateways: ['county-350121'] });
    expect(again.list().map((e) => e.code)).toEqual([A]);
  });

  it('turns an entry registered as an enterprise (as centres were before) into a centre, keeping its gateway', () => {
    const r = register();
    r.upsert({ code: COUNTY, name: '某县监测中心', industry: 'other', town: '某县', gateways: ['county-350121'] }, 'u', 1);
    r.upsertCentre({ kind: 'centre', code: COUNTY, name: '某县监测中心', regionCode: '350121', level: 'county' }, 2);
    expect(r.list()).toEqual([]);
    expect(r.centre(COUNTY)).toMatchObject({ gateways: ['county-350121'], level: 'county' });
  });

  it('imports centres and enterprises from one CSV with a 类型 column; a grade or industry on a centre row is refused', () => {
    const r = register();
    const csv = [
      '类型,统一社会信用代码,企业名称,行业,乡镇街道,行政区划代码,级别,网关编码,等级',
      `企业,${A},甲钢铁有限公司,钢铁,城关镇,,,gw-a,B`,
      `监测中心,${COUNTY},某县监测中心,,,350121,县级,county-350121,`,
      `监测中心,${code('11350122MB0000002')},乙县监测中心,,,350122,县级,,A`,
      `企业,${B},乙公司,钢铁,城关镇,350121,,,`,
      `监测中心,${code('11350123MB0000003')},丙县监测中心,,,350123,省级,,`,
    ].join('\n');
    const result = r.importCsv(csv, 'u', 1);
    expect(result.added).toBe(2);
    expect(result.problems).toEqual([
      { line: 4, message: expect.stringMatching(/^grade: a centre .* has no grade/) },
      { line: 5, message: expect.stringMatching(/^regionCode: only a centre/) },
      { line: 6, message: expect.stringMatching(/^level:/) },
    ]);
    expect(r.get(A)).toMatchObject({ grade: 'B', gateways: ['gw-a'] });
    expect(r.centre(COUNTY)).toMatchObject({ level: 'county', regionCode: '350121', gateways: ['county-350121'] });
  });
});

describe('centre.db migration to register kinds', () => {
  it('keeps the enterprises and their gateways of a database made before centres had a kind', async () => {
    const { CENTRE_MIGRATIONS } = await import('../../../../gateway/services/centre/centre-db.js');
    const { migrate } = await import('../../../../gateway/store/database.js');
    const db = openDatabase(':memory:');
    migrate(db, CENTRE_MIGRATIONS.filter((m) => m.id < 'centre-005'));
    db.prepare("INSERT INTO centre_enterprise (code, name, industry, town, obliged, grade, contacts, created_at, updated_at) VALUES (?, '甲', 'steel', '城关镇', 1, 'B', '[]', 1, 1)").run(A);
    db.prepare("INSERT INTO centre_gateway (enterprise_code, code, last_seq) VALUES (?, 'gw-a', 42)").run(A);
    migrateCentre(db);
    const r = new EnterpriseRegister(db);
    expect(r.get(A)).toMatchObject({ kind: 'enterprise', grade: 'B', gateways: ['gw-a'] });
    expect(db.prepare('SELECT last_seq FROM centre_gateway').get()).toEqual({ last_seq: 42 });
    // The foreign key still holds after the rebuild.
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare("INSERT INTO centre_gateway (enterprise_code, code) VALUES ('nobody', 'gw-x')").run()).toThrow(/FOREIGN KEY/);
  });
});
