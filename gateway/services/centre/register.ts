import { z } from 'zod';
import type { Db } from '../../store/database.js';
import { parseCsv } from './csv.js';
import {
  centreInputSchema,
  CENTRE_LEVELS,
  enterpriseInputSchema,
  gradeSchema,
  INDUSTRIES,
  DUST_TYPES,
  type CentreInput,
  type Enterprise,
  type RegisterEntry,
  type SubordinateCentre,
  type EnterpriseFields,
  type EnterpriseInput,
  type Grade,
  type GradeChange,
  type Contact,
} from './enterprise.js';

interface EnterpriseRow {
  code: string;
  kind: 'enterprise' | 'centre';
  name: string;
  industry: string | null;
  dust_type: string | null;
  town: string | null;
  obliged: number | null;
  grade: string | null;
  region_code: string | null;
  centre_level: string | null;
  contacts: string;
  created_at: number;
  updated_at: number;
}

/** A problem with one CSV row: its line number (1 = header) and what is wrong, naming the column. */
export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvImportResult {
  added: number;
  updated: number;
  problems: CsvProblem[];
}

export const gradeChangeSchema = z.strictObject({
  grade: gradeSchema,
  /** Why (依据): required, it is what an auditor reads. */
  reason: z.string().trim().min(2).max(500),
});

/** CSV headers accepted, Chinese or English, for each field. */
const CSV_HEADERS: Record<string, keyof EnterpriseFields | 'regionCode' | 'level' | 'contactName' | 'contactPhone'> = {
  类型: 'kind',
  kind: 'kind',
  行政区划代码: 'regionCode',
  regioncode: 'regionCode',
  级别: 'level',
  level: 'level',
  统一社会信用代码: 'code',
  code: 'code',
  企业名称: 'name',
  name: 'name',
  行业: 'industry',
  industry: 'industry',
  粉尘类型: 'dustType',
  dusttype: 'dustType',
  乡镇街道: 'town',
  镇街: 'town',
  town: 'town',
  应接入: 'obliged',
  obliged: 'obliged',
  网关编码: 'gateways',
  gateways: 'gateways',
  等级: 'grade',
  grade: 'grade',
  联系人: 'contactName',
  contact: 'contactName',
  联系电话: 'contactPhone',
  phone: 'contactPhone',
};

/** Industry and dust type by code or by their Chinese names, as a spreadsheet carries them. */
function byCodeOrName<T extends string>(table: Record<T, string>, text: string): T | string {
  const hit = (Object.entries(table) as [T, string][]).find(([code, name]) => code === text || name === text);
  return hit ? hit[0] : text;
}

/** 企业 / 监测中心 (or enterprise / centre) in a CSV's 类型 column. */
const KIND_NAMES: Record<'enterprise' | 'centre', string> = { enterprise: '企业', centre: '监测中心' };

function yesNo(text: string): boolean | string {
  if (/^(是|1|true|yes|y)$/i.test(text)) return true;
  if (/^(否|0|false|no|n)$/i.test(text)) return false;
  return text;
}

/**
 * The enterprise register (企业动态数据库): enterprises, their gateways, and every grade change with
 * who made it, when and why. Only the grade path changes a grade, and it always writes history.
 * It also holds the monitoring centres of the tier below (kind centre), listed apart from the
 * enterprises: they send summaries, not plant data, and have no grade or connection obligation.
 */
export class EnterpriseRegister {
  private readonly stmt;
  private readonly cache = new Map<string, Enterprise>();
  private readonly centreCache = new Map<string, SubordinateCentre>();
  private readonly gatewayOwner = new Map<string, string>();

  constructor(private readonly db: Db) {
    this.stmt = {
      all: db.prepare('SELECT * FROM centre_enterprise ORDER BY code'),
      get: db.prepare('SELECT * FROM centre_enterprise WHERE code = ?'),
      insert: db.prepare(
        'INSERT INTO centre_enterprise (code, name, industry, dust_type, town, obliged, grade, contacts, created_at, updated_at) VALUES (@code, @name, @industry, @dustType, @town, @obliged, @grade, @contacts, @at, @at)',
      ),
      update: db.prepare('UPDATE centre_enterprise SET name = @name, industry = @industry, dust_type = @dustType, town = @town, obliged = @obliged, contacts = @contacts, updated_at = @at WHERE code = @code'),
      insertCentre: db.prepare(
        "INSERT INTO centre_enterprise (code, kind, name, region_code, centre_level, contacts, created_at, updated_at) VALUES (@code, 'centre', @name, @regionCode, @level, @contacts, @at, @at)",
      ),
      // Also turns an entry registered as an enterprise (before centres had a kind of their own) into a centre.
      updateCentre: db.prepare(
        "UPDATE centre_enterprise SET kind = 'centre', name = @name, region_code = @regionCode, centre_level = @level, contacts = @contacts, industry = NULL, dust_type = NULL, town = NULL, obliged = NULL, grade = NULL, updated_at = @at WHERE code = @code",
      ),
      setGrade: db.prepare('UPDATE centre_enterprise SET grade = ?, updated_at = ? WHERE code = ?'),
      gradeHistory: db.prepare('INSERT INTO centre_grade_history (enterprise_code, from_grade, to_grade, user, reason, at) VALUES (?, ?, ?, ?, ?, ?)'),
      history: db.prepare('SELECT enterprise_code, from_grade, to_grade, user, reason, at FROM centre_grade_history WHERE enterprise_code = ? ORDER BY id'),
      gateways: db.prepare('SELECT enterprise_code, code FROM centre_gateway'),
      addGateway: db.prepare('INSERT OR IGNORE INTO centre_gateway (enterprise_code, code) VALUES (?, ?)'),
      remove: db.prepare('DELETE FROM centre_enterprise WHERE code = ?'),
    };
    for (const r of this.stmt.all.all() as EnterpriseRow[]) this.cacheRow(r, []);
    for (const g of this.stmt.gateways.all() as { enterprise_code: string; code: string }[]) {
      this.entry(g.enterprise_code)?.gateways.push(g.code);
      this.gatewayOwner.set(g.code, g.enterprise_code);
    }
  }

  private cacheRow(r: EnterpriseRow, gateways: string[]): RegisterEntry {
    const common = { code: r.code, name: r.name, contacts: JSON.parse(r.contacts) as Contact[], gateways, createdAt: r.created_at, updatedAt: r.updated_at };
    if (r.kind === 'centre') {
      const c: SubordinateCentre = { kind: 'centre', ...common, regionCode: r.region_code!, level: r.centre_level as SubordinateCentre['level'] };
      this.cache.delete(r.code);
      this.centreCache.set(r.code, c);
      return c;
    }
    const e: Enterprise = {
      kind: 'enterprise',
      ...common,
      industry: r.industry as Enterprise['industry'],
      ...(r.dust_type ? { dustType: r.dust_type as NonNullable<Enterprise['dustType']> } : {}),
      town: r.town!,
      obliged: r.obliged === 1,
      grade: r.grade as Grade,
    };
    this.cache.set(r.code, e);
    return e;
  }

  /** The enterprises (not the centres below: see centres()). */
  list(): Enterprise[] {
    return [...this.cache.values()];
  }

  /** An enterprise by its credit code (a centre below is not one: see centre()). */
  get(code: string): Enterprise | undefined {
    return this.cache.get(code);
  }

  /** The monitoring centres of the tier below. */
  centres(): SubordinateCentre[] {
    return [...this.centreCache.values()];
  }

  centre(code: string): SubordinateCentre | undefined {
    return this.centreCache.get(code);
  }

  /** An entry of either kind: whoever may send envelopes to this centre. */
  entry(code: string): RegisterEntry | undefined {
    return this.cache.get(code) ?? this.centreCache.get(code);
  }

  /** Enterprises registered (centres below not counted). */
  get size(): number {
    return this.cache.size;
  }

  private checkGateways(code: string, gateways: readonly string[]): void {
    for (const g of gateways) {
      const owner = this.gatewayOwner.get(g);
      if (owner !== undefined && owner !== code) throw new Error(`gateway "${g}" belongs to ${this.centreCache.has(owner) ? 'centre' : 'enterprise'} ${owner}`);
    }
  }

  /**
   * Adds or updates a centre of the tier below. An entry of the same code registered as an
   * enterprise (as centres were before they had a kind) becomes a centre; its grade history stays
   * in centre_grade_history. A centre does not become an enterprise: remove it first.
   */
  upsertCentre(input: CentreInput, at: number): { centre: SubordinateCentre; created: boolean } {
    const c = centreInputSchema.parse(input);
    this.checkGateways(c.code, c.gateways);
    const existing = this.entry(c.code);
    const row = { code: c.code, name: c.name, regionCode: c.regionCode, level: c.level, contacts: JSON.stringify(c.contacts), at };
    this.db.transaction(() => {
      if (existing) this.stmt.updateCentre.run(row);
      else this.stmt.insertCentre.run(row);
      for (const g of c.gateways) this.stmt.addGateway.run(c.code, g);
    })();
    const gateways = [...new Set([...(existing?.gateways ?? []), ...c.gateways])];
    for (const g of gateways) this.gatewayOwner.set(g, c.code);
    const centre = this.cacheRow(this.stmt.get.get(c.code) as EnterpriseRow, gateways) as SubordinateCentre;
    return { centre, created: !existing };
  }

  /**
   * Adds or updates an enterprise (the grade of an existing one is left alone: see setGrade).
   * A new enterprise's first grade is recorded in the history as set by `user`.
   */
  upsert(input: EnterpriseInput, user: string, at: number): { enterprise: Enterprise; created: boolean } {
    const e = enterpriseInputSchema.parse(input);
    if (e.industry !== 'dust_explosion' && e.dustType !== undefined) throw new Error('dustType is only for industry dust_explosion');
    if (this.centreCache.has(e.code)) throw new Error(`${e.code} is registered as a monitoring centre of the tier below, not an enterprise`);
    this.checkGateways(e.code, e.gateways);
    const existing = this.cache.get(e.code);
    const row = { code: e.code, name: e.name, industry: e.industry, dustType: e.dustType ?? null, town: e.town, obliged: e.obliged ? 1 : 0, contacts: JSON.stringify(e.contacts), grade: e.grade, at };
    this.db.transaction(() => {
      if (existing) this.stmt.update.run(row);
      else {
        this.stmt.insert.run(row);
        this.stmt.gradeHistory.run(e.code, null, e.grade, user, '登记', at);
      }
      for (const g of e.gateways) this.stmt.addGateway.run(e.code, g);
    })();
    const gateways = [...new Set([...(existing?.gateways ?? []), ...e.gateways])];
    for (const g of gateways) this.gatewayOwner.set(g, e.code);
    const enterprise = this.cacheRow(this.stmt.get.get(e.code) as EnterpriseRow, gateways) as Enterprise;
    return { enterprise, created: !existing };
  }

  /** Records a gateway seen for a registered enterprise or centre (its first envelope). */
  addGateway(enterpriseCode: string, gatewayCode: string): void {
    const e = this.entry(enterpriseCode);
    if (!e || e.gateways.includes(gatewayCode)) return;
    this.stmt.addGateway.run(enterpriseCode, gatewayCode);
    e.gateways.push(gatewayCode);
    this.gatewayOwner.set(gatewayCode, enterpriseCode);
  }

  /** Changes the grade: who, when and why go into centre_grade_history in the same transaction. */
  setGrade(code: string, grade: Grade, user: string, reason: string, at: number): GradeChange {
    const e = this.cache.get(code);
    if (!e) throw new Error(this.centreCache.has(code) ? `${code} is a centre of the tier below: a centre has no grade` : `enterprise ${code} is not in the register`);
    const change = gradeChangeSchema.parse({ grade, reason });
    this.db.transaction(() => {
      this.stmt.setGrade.run(change.grade, at, code);
      this.stmt.gradeHistory.run(code, e.grade, change.grade, user, change.reason, at);
    })();
    const record: GradeChange = { enterpriseCode: code, from: e.grade, to: change.grade, user, reason: change.reason, at };
    e.grade = change.grade;
    e.updatedAt = at;
    return record;
  }

  gradeHistory(code: string): GradeChange[] {
    return (this.stmt.history.all(code) as { enterprise_code: string; from_grade: string | null; to_grade: string; user: string; reason: string; at: number }[]).map((r) => ({
      enterpriseCode: r.enterprise_code,
      from: r.from_grade as Grade | null,
      to: r.to_grade as Grade,
      user: r.user,
      reason: r.reason,
      at: r.at,
    }));
  }

  remove(code: string): boolean {
    const e = this.entry(code);
    if (!e) return false;
    this.stmt.remove.run(code);
    for (const g of e.gateways) this.gatewayOwner.delete(g);
    this.cache.delete(code);
    this.centreCache.delete(code);
    return true;
  }

  /**
   * Imports a CSV (UTF-8, header row, Chinese or English column names: 统一社会信用代码, 企业名称, 行业,
   * 粉尘类型, 乡镇街道, 应接入, 网关编码 (separated by ;), 等级, 联系人, 联系电话). Every valid row is
   * added or updated; every bad row is reported with its line and column and changes nothing. A
   * grade in the file applies to new enterprises only; a changed grade of an existing one goes through
   * setGrade (with a reason) and is reported as a problem here.
   */
  importCsv(text: string, user: string, at: number): CsvImportResult {
    let rows: string[][];
    try {
      rows = parseCsv(text);
    } catch (e) {
      return { added: 0, updated: 0, problems: [{ line: 0, message: (e as Error).message }] };
    }
    const result: CsvImportResult = { added: 0, updated: 0, problems: [] };
    const header = rows[0];
    if (!header) return { ...result, problems: [{ line: 1, message: 'the file is empty' }] };
    const fields = header.map((h) => CSV_HEADERS[h.trim().toLowerCase()] ?? CSV_HEADERS[h.trim()]);
    const unknown = header.filter((_, i) => fields[i] === undefined);
    if (unknown.length) result.problems.push({ line: 1, message: `unknown column(s) ignored: ${unknown.join(', ')}` });
    // A file of enterprises needs their industry and town; with a 类型 column rows may be centres, which have neither.
    const needed = fields.includes('kind') ? (['code', 'name'] as const) : (['code', 'name', 'industry', 'town'] as const);
    for (const need of needed) {
      if (!fields.includes(need)) return { ...result, problems: [...result.problems, { line: 1, message: `missing column ${need}` }] };
    }
    rows.slice(1).forEach((cells, i) => {
      const line = i + 2;
      const raw: Record<string, unknown> = {};
      let contactName = '';
      let contactPhone = '';
      fields.forEach((f, c) => {
        const v = (cells[c] ?? '').trim();
        if (f === undefined || v === '') return;
        if (f === 'contactName') contactName = v;
        else if (f === 'contactPhone') contactPhone = v;
        else if (f === 'kind') raw.kind = byCodeOrName(KIND_NAMES, v);
        else if (f === 'level') raw.level = byCodeOrName(CENTRE_LEVELS, v);
        else if (f === 'industry') raw.industry = byCodeOrName(INDUSTRIES, v);
        else if (f === 'dustType') raw.dustType = byCodeOrName(DUST_TYPES, v);
        else if (f === 'obliged') raw.obliged = yesNo(v);
        else if (f === 'gateways') raw.gateways = v.split(/[;；]/).map((s) => s.trim()).filter(Boolean);
        else raw[f] = v;
      });
      if (contactName || contactPhone) raw.contacts = [{ name: contactName, phone: contactPhone }];
      if (raw.kind === 'centre') {
        this.importCentreRow(raw, line, at, result);
        return;
      }
      // Columns of centres only, left filled on an enterprise's row, are a mistake worth naming.
      for (const f of ['regionCode', 'level'] as const) if (raw[f] !== undefined) {
        result.problems.push({ line, message: `${f}: only a centre (类型 监测中心) has it; row not imported` });
        return;
      }
      const parsed = enterpriseInputSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        result.problems.push({ line, message: `${issue.path.join('.') || 'row'}: ${issue.message}` });
        return;
      }
      const existing = this.cache.get(parsed.data.code);
      if (existing && raw.grade !== undefined && parsed.data.grade !== existing.grade) {
        result.problems.push({ line, message: `grade: ${parsed.data.code} is graded ${existing.grade}; change a grade with its reason (PUT …/grade), not by import` });
      }
      try {
        const { created } = this.upsert(existing ? { ...parsed.data, grade: existing.grade } : parsed.data, user, at);
        if (created) result.added++;
        else result.updated++;
      } catch (e) {
        result.problems.push({ line, message: (e as Error).message });
      }
    });
    return result;
  }

  /** One CSV row of kind centre: no industry, town, obligation or grade are asked, and one given is refused. */
  private importCentreRow(raw: Record<string, unknown>, line: number, at: number, result: CsvImportResult): void {
    for (const f of ['industry', 'dustType', 'town', 'obliged', 'grade'] as const) {
      if (raw[f] !== undefined) {
        result.problems.push({ line, message: `${f}: a centre of the tier below has no ${f}; row not imported` });
        return;
      }
    }
    const parsed = centreInputSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      result.problems.push({ line, message: `${issue.path.join('.') || 'row'}: ${issue.message}` });
      return;
    }
    try {
      const { created } = this.upsertCentre(parsed.data, at);
      if (created) result.added++;
      else result.updated++;
    } catch (e) {
      result.problems.push({ line, message: (e as Error).message });
    }
  }
}
