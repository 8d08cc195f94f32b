import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { alarmEventSchema, type AlarmEvent } from '../../core/alarm-event.js';
import { parseDuration } from '../../core/duration.js';
import { loadConfigOrThrow } from '../../config/load.js';
import { pointDefinitions } from '../../config/schema.js';
import { computeAlarmKpis } from '../../alarms/kpi.js';
import { formatKpiReport } from '../../alarms/kpi-format.js';
import { parseOptions } from '../options.js';

/** --data-dir defaults to the config's storage.dataDir with --config, else .data. */
const usage = 'kpi [--since 24h] [--json] [--data-dir <dir>] [--config <file>]';

/** Area given to journaled points the config no longer has. */
export const UNCONFIGURED_AREA = '(未配置的测点)';

export interface JournalRead {
  file: string;
  events: AlarmEvent[];
  rows: number;
  /** Rows whose event is not valid JSON or not an AlarmEvent; left out of the KPIs. */
  invalid: number;
  invalidSeqs: number[];
}

/**
 * Journal rows for a report over [from, to): every event of the period, plus, for each alarm, the
 * events since it was last NORMAL before `from` (inactive, acknowledged, in service: nothing before
 * that matters), so an activation that began earlier is seen with its true start (a stale alarm, an
 * acknowledgement in the period of an alarm raised before it).
 * NORMAL is found by the text the journal's JSON.stringify writes rather than json_extract: about
 * twice as fast on a long journal, cannot fail on a corrupt row, and cannot match inside a string
 * (quotes there are escaped). Should a row be written differently the match only misses, and the
 * read goes further back: slower, never wrong. Corrupt rows are counted when parsed below.
 */
const SELECT_EVENTS = `
  WITH last_normal AS (
    SELECT alarm_id, MAX(seq) AS seq FROM alarm_events
    WHERE ts < @from AND instr(event, '"state":"NORMAL"') > 0
    GROUP BY alarm_id)
  SELECT e.seq AS seq, e.event AS event FROM alarm_events e LEFT JOIN last_normal l ON l.alarm_id = e.alarm_id
  WHERE e.ts < @to AND (e.ts >= @from OR e.seq >= COALESCE(l.seq, 0))
  ORDER BY e.seq`;

/** Reads the alarm journal (table alarm_events of <dataDir>/gateway.db) without writing to it. */
export function readJournal(dataDir: string, from: number, to: number): JournalRead {
  const file = resolve(join(dataDir, 'gateway.db'));
  if (!existsSync(file)) throw new Error(`找不到报警日志数据库 ${file} [no alarm journal database; run the gateway first or give --data-dir]`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alarm_events'").get();
    if (!hasTable) throw new Error(`${file} 中没有报警日志表 alarm_events [no alarm_events table]`);
    const out: JournalRead = { file, events: [], rows: 0, invalid: 0, invalidSeqs: [] };
    for (const row of db.prepare(SELECT_EVENTS).iterate({ from, to }) as Iterable<{ seq: number; event: string }>) {
      out.rows++;
      const parsed = parseEvent(row.event);
      if (parsed) out.events.push(parsed);
      else {
        out.invalid++;
        if (out.invalidSeqs.length < 20) out.invalidSeqs.push(row.seq);
      }
    }
    return out;
  } finally {
    db.close();
  }
}

function parseEvent(text: string): AlarmEvent | undefined {
  try {
    const r = alarmEventSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const command: Command = {
  summary: 'alarm-system KPIs from the alarm journal (ISA-18.2 / EEMUA 191): rates, floods, chattering, stale, bad actors',
  usage,
  async run(argv) {
    const opts = parseOptions(
      argv,
      { since: { type: 'string', default: '24h' }, json: { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, config: { type: 'string', short: 'c' } },
      usage,
    );
    const sinceMs = parseDuration(opts.since);
    if (sinceMs === undefined || sinceMs <= 0) throw new Error(`--since must be a duration such as 10m, 24h, 7d, got "${opts.since}"\nusage: npm run gateway -- ${usage}`);
    let areaOf: ((point: string) => string) | undefined;
    let flood: { threshold: number; windowMs: number } | undefined;
    let dataDir = opts['data-dir'] ?? '.data';
    if (opts.config) {
      const config = loadConfigOrThrow(opts.config);
      const points = pointDefinitions(config);
      areaOf = (point) => points.get(point)?.area ?? UNCONFIGURED_AREA;
      // The journal the gateway on this config writes, unless told otherwise.
      dataDir = opts['data-dir'] ?? config.storage.dataDir;
      // Floods as the running gateway marks them.
      flood = { threshold: config.alarms.floodThreshold, windowMs: config.alarms.floodWindow };
    }
    const to = Date.now();
    const from = to - sinceMs;
    const journal = readJournal(dataDir, from, to);
    const kpis = computeAlarmKpis(journal.events, { from, to, ...(areaOf ? { areaOf } : {}), ...(flood ? { flood } : {}) });
    const source = { file: journal.file, rows: journal.rows, invalidRows: journal.invalid, invalidSeqs: journal.invalidSeqs };
    if (opts.json) {
      console.log(JSON.stringify({ ...kpis, journal: source }, null, 2));
    } else {
      console.log(formatKpiReport(kpis));
      console.log(`\n数据来源 [source]: ${journal.file}, 读取 ${journal.rows} 条日志记录`);
    }
    if (journal.invalid > 0) {
      console.error(`警告 [warning]: ${journal.invalid} 条日志记录无法解析, 未计入 (seq ${journal.invalidSeqs.join(', ')}${journal.invalid > journal.invalidSeqs.length ? ' …' : ''})`);
    }
    return 0;
  },
};
export default command;
