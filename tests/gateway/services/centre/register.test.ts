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
