import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { AlarmManager, MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { computeAlarmKpis, DAY, HOUR, MINUTE } from '../../../gateway/alarms/kpi.js';
import { formatKpiReport } from '../../../gateway/alarms/kpi-format.js';
import type { AlarmEvent, AlarmState, Severity } from '../../../gateway/core/alarm-event.js';

const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
const S = 1000;
const period = { from: T0, to: T0 + DAY };

/** A hand-written journal: one event per line, seq in the order written. */
function journal() {
  const events: AlarmEvent[] = [];
  const add = (ts: number, alarmId: string, state: AlarmState, active: boolean, extra: Partial<AlarmEvent> = {}) => {
    const [point = alarmId, condition = 'H'] = alarmId.split(':');
    events.push({ seq: events.length + 1, alarmId, point, condition, severity: 2, state, active, value: active ? 1 : 0, message: alarmId, ts, ...extra });
  };
  /** A full cycle as the alarm manager writes it: activation, ack after ackMs, return to normal after rtnMs. */
  const cycle = (ts: number, alarmId: string, o: { severity?: Severity; ackMs?: number; rtnMs?: number } = {}) => {
    const sev = { severity: o.severity ?? 2 } as const;
    add(ts, alarmId, 'UNACK', true, sev);
    if (o.ackMs !== undefined) add(ts + o.ackMs, alarmId, 'ACKED', true, { ...sev, user: 'op1' });
    const rtn = o.rtnMs ?? 5 * S;
    add(ts + rtn, alarmId, o.ackMs !== undefined && o.ackMs < rtn ? 'NORMAL' : 'RTN_UNACK', false, sev);
  };
  return { events, add, cycle };
}

describe('alarm KPIs: load and floods', () => {
  it('11 activations within 5 min are one flood lasting until the first slides out of the 10-min window', () => {
    const j = journal();
    const start = T0 + HOUR;
    // Each alarm is acknowledged and returns to normal: those events are not alarms.
    for (let i = 0; i < 11; i++) j.cycle(start + i * 30 * S, `p${i}:HH`, { ackMs: 10 * S, rtnMs: 20 * S });
    const k = computeAlarmKpis(j.events, period);
    expect(k.total.annunciated).toBe(11);
    expect(k.total.flood.periods).toEqual([{ start: start + 300 * S, end: start + 600 * S, count: 11, peak: 11, ongoing: false }]);
    expect(k.total.flood.timeInFloodMs).toBe(5 * MINUTE);
    expect(k.total.flood.percentTimeInFlood).toBeCloseTo((5 / (24 * 60)) * 100, 6);
    expect(k.total.rates.per10min).toMatchObject({ peak: 11, peakStart: start, average: 11 / 144, rating: 'acceptable' });
    expect(k.total.rates.perHour).toMatchObject({ peak: 11, peakStart: start, average: 11 / 24 });
    expect(k.total.rates.perDay).toMatchObject({ peak: 11, average: 11, rating: 'acceptable' });
  });

  it('10 in 10 min is no flood; the window is (t − 10 min, t], so the 11th exactly 10 min after the first is none either', () => {
    const times = Array.from({ length: 10 }, (_, i) => T0 + i * MINUTE);
    const j = journal();
    times.forEach((t, i) => j.cycle(t, `a${i}:H`));
    expect(computeAlarmKpis(j.events, period).total.flood.periods).toEqual([]);
    j.cycle(T0 + 10 * MINUTE, 'late:H');
    expect(computeAlarmKpis(j.events, period).total.flood.periods).toEqual([]);

    const k = journal();
    times.forEach((t, i) => k.cycle(t, `a${i}:H`));
    k.cycle(T0 + 10 * MINUTE - S, 'early:H');
    expect(computeAlarmKpis(k.events, period).total.flood.periods).toEqual([{ start: T0 + 10 * MINUTE - S, end: T0 + 10 * MINUTE, count: 11, peak: 11, ongoing: false }]);
  });

  it('uses the configured flood definition when given (here more than 5 in 5 min)', () => {
    const j = journal();
    for (let i = 0; i < 6; i++) j.cycle(T0 + HOUR + i * 30 * S, `s${i}:H`);
    expect(computeAlarmKpis(j.events, period).total.flood.periods).toEqual([]);
    const strict = computeAlarmKpis(j.events, { ...period, flood: { threshold: 5, windowMs: 5 * MINUTE } });
    expect(strict.total.flood.periods).toEqual([{ start: T0 + HOUR + 150 * S, end: T0 + HOUR + 300 * S, count: 6, peak: 6, ongoing: false }]);
    // The report states the definition it counted with, not the EEMUA default.
    expect(strict.total.flood).toMatchObject({ threshold: 5, windowMs: 5 * MINUTE });
    const text = formatKpiReport(strict);
    expect(text).toContain('报警泛滥 [alarm flood, >5 条/5分]: 1 次');
    expect(text).toContain('5分内最多 6 条');
    expect(text).not.toContain('>10 条');
    expect(formatKpiReport(computeAlarmKpis(j.events, period))).toContain('报警泛滥 [alarm flood, >10 条/10分]: 0 次');
  });

  it('a flood still running at the end of the period is cut there and marked ongoing', () => {
    const j = journal();
    const to = T0 + HOUR;
    for (let i = 0; i < 12; i++) j.add(to - 2 * MINUTE + i * 5 * S, `f${i}:H`, 'UNACK', true);
    const [flood] = computeAlarmKpis(j.events, { from: T0, to }).total.flood.periods;
    expect(flood).toEqual({ start: to - 2 * MINUTE + 50 * S, end: to, count: 12, peak: 12, ongoing: true });
  });

  it('rates the average rate by EEMUA 191: 3 per 10 min is over-demanding', () => {
    const j = journal();
    for (let i = 0; i < 18; i++) j.cycle(T0 + i * 200 * S, `r${i}:H`); // 18 in one hour, evenly spread
    const k = computeAlarmKpis(j.events, { from: T0, to: T0 + HOUR });
    expect(k.total.rates.per10min).toMatchObject({ average: 3, peak: 3, rating: 'over-demanding' });
    expect(k.total.rates.perHour).toMatchObject({ average: 18, rating: 'over-demanding' });
    expect(k.total.flood.periods).toEqual([]);
  });
});

describe('alarm KPIs: what counts as an alarm', () => {
  it('counts only new activations: acks, comments and returns to normal are not alarms', () => {
    const j = journal();
    j.add(T0 + MINUTE, 'x:H', 'UNACK', true);
    j.add(T0 + 2 * MINUTE, 'x:H', 'UNACK', true, { user: 'op1', comment: '已通知现场' });
    j.add(T0 + 3 * MINUTE, 'x:H', 'ACKED', true, { user: 'op1' });
    j.add(T0 + 4 * MINUTE, 'x:H', 'NORMAL', false);
    j.add(T0 + 5 * MINUTE, 'x:H', 'UNACK', true);
    j.add(T0 + 6 * MINUTE, 'x:H', 'RTN_UNACK', false);
    j.add(T0 + 7 * MINUTE, 'x:H', 'NORMAL', false, { user: 'op1' });
    const k = computeAlarmKpis(j.events, period);
    expect(k.total.annunciated).toBe(2);
    expect(k.total.alarmsActivated).toBe(1);
    expect(k.total.reAnnunciated).toBe(0); // the comment left it UNACK: nothing new to see
    expect(k.total.badActors).toEqual([expect.objectContaining({ alarmId: 'x:H', count: 2, sharePercent: 100 })]);
  });

  it('activations while shelved, suppressed or out of service are counted apart, not as annunciated alarms', () => {
    const j = journal();
    j.add(T0, 'sh:H', 'SHELVED', false, { user: 'op1', comment: '仪表检修' });
    for (let i = 0; i < 3; i++) {
      j.add(T0 + i * 10 * S, 'sh:H', 'SHELVED', true);
      j.add(T0 + i * 10 * S + 5 * S, 'sh:H', 'SHELVED', false);
    }
    j.add(T0 + HOUR, 'sup:L', 'SUPPRESSED', false, { comment: '设备停机' });
    j.add(T0 + HOUR + MINUTE, 'sup:L', 'SUPPRESSED', true);
    j.add(T0 + 2 * HOUR, 'oos:H', 'OUT_OF_SERVICE', false, { user: 'eng1' });
    j.add(T0 + 2 * HOUR + MINUTE, 'oos:H', 'OUT_OF_SERVICE', true);
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.annunciated).toBe(0);
    expect(k.notAnnunciated).toEqual({ shelved: 3, suppressed: 1, outOfService: 1 });
    expect(k.badActors).toEqual([]);
    expect(k.rates.per10min.peak).toBe(0);
    // A shelved alarm that chatters still needs fixing: chattering looks at every activation.
    expect(k.chattering).toEqual([expect.objectContaining({ alarmId: 'sh:H', maxIn60s: 3, activations: 3 })]);
  });

  it('an alarm shown after its shelve ends while still active is a re-annunciation, acknowledged from then', () => {
    const j = journal();
    j.add(T0, 'sh:H', 'SHELVED', false, { user: 'op1' });
    j.add(T0 + MINUTE, 'sh:H', 'SHELVED', true);
    j.add(T0 + HOUR, 'sh:H', 'UNACK', true, { user: 'system', comment: '搁置到期' });
    j.add(T0 + HOUR + 40 * S, 'sh:H', 'ACKED', true, { user: 'op1' });
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.annunciated).toBe(0);
    expect(k.reAnnunciated).toBe(1);
    expect(k.timeToAck).toMatchObject({ count: 1, medianMs: 40 * S, maxMs: 40 * S, unacknowledged: 0 });
  });
});

describe('alarm KPIs: chattering, stale, bad actors, priorities', () => {
  it('3 activations within 60 s is chattering; 3 spread over exactly 60 s is not', () => {
    const j = journal();
    for (const t of [0, 20, 40]) j.cycle(T0 + t * S, 'ch:H', { rtnMs: 5 * S });
    for (const t of [0, 30, 60]) j.cycle(T0 + HOUR + t * S, 'slow:H', { rtnMs: 5 * S });
    for (const t of [0, 10, 20, 30]) j.cycle(T0 + 2 * HOUR + t * S, 'ch:H', { rtnMs: 5 * S });
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.chattering).toEqual([expect.objectContaining({ alarmId: 'ch:H', point: 'ch', condition: 'H', maxIn60s: 4, activations: 7 })]);
  });

  it('an alarm active more than 24 h is stale, including one raised before the period and one that cleared in it', () => {
    const j = journal();
    j.add(T0 - 2 * DAY, 'old:HH', 'UNACK', true);
    j.add(T0 - 2 * DAY + MINUTE, 'old:HH', 'ACKED', true, { user: 'op1' });
    j.add(T0 - 12 * HOUR, 'long:H', 'UNACK', true);
    j.add(T0 + 13 * HOUR, 'long:H', 'RTN_UNACK', false);
    j.add(T0 + HOUR, 'young:H', 'UNACK', true); // 23 h at the end: not stale
    j.add(T0 + DAY + HOUR, 'old:HH', 'NORMAL', false); // after the period: does not count
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.stale).toEqual([
      expect.objectContaining({ alarmId: 'old:HH', activeSince: T0 - 2 * DAY, clearedAt: null, durationMs: 3 * DAY, state: 'ACKED' }),
      expect.objectContaining({ alarmId: 'long:H', activeSince: T0 - 12 * HOUR, clearedAt: T0 + 13 * HOUR, durationMs: 25 * HOUR }),
    ]);
    // Activations before the period are not in its load.
    expect(k.annunciated).toBe(1);
  });

  it('lists the top 10 bad actors with their share of all annunciated alarms', () => {
    const j = journal();
    for (let i = 0; i < 5; i++) j.cycle(T0 + i * HOUR, 'worst:H');
    for (let i = 0; i < 3; i++) j.cycle(T0 + i * HOUR + MINUTE, 'second:H');
    for (let i = 0; i < 12; i++) j.cycle(T0 + 30 * MINUTE + i * HOUR, `one${String(i).padStart(2, '0')}:H`);
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.annunciated).toBe(20);
    expect(k.badActors).toHaveLength(10);
    expect(k.badActors.slice(0, 3)).toEqual([
      expect.objectContaining({ alarmId: 'worst:H', count: 5, sharePercent: 25 }),
      expect.objectContaining({ alarmId: 'second:H', count: 3, sharePercent: 15 }),
      expect.objectContaining({ alarmId: 'one00:H', count: 1, sharePercent: 5 }),
    ]);
    expect(k.top10SharePercent).toBeCloseTo(80, 9); // 5 + 3 + 8 × 1 of 20
  });

  it('gives the priority distribution against the 80/15/5 target (severity 1–2 low, 3 medium, 4 high)', () => {
    const j = journal();
    const sevs: Severity[] = [...Array<Severity>(10).fill(1), ...Array<Severity>(6).fill(2), 3, 3, 3, 4];
    sevs.forEach((severity, i) => j.cycle(T0 + i * HOUR, `s${i}:H`, { severity }));
    const p = computeAlarmKpis(j.events, period).total.priority;
    expect(p.bySeverity[1]).toEqual({ count: 10, percent: 50 });
    expect(p.bySeverity[2]).toEqual({ count: 6, percent: 30 });
    expect(p.byClass).toEqual({
      low: { count: 16, percent: 80, targetPercent: 80 },
      medium: { count: 3, percent: 15, targetPercent: 15 },
      high: { count: 1, percent: 5, targetPercent: 5 },
    });
  });
});

describe('alarm KPIs: time to acknowledge', () => {
  it('measures each acknowledgement from the activation (or re-alarm) it acknowledges', () => {
    const j = journal();
    const t = T0 + HOUR;
    j.add(t, 'a:H', 'UNACK', true);
    j.add(t + 30 * S, 'a:H', 'ACKED', true, { user: 'op1' }); // 30 s
    j.add(t + 40 * S, 'a:H', 'ACKED', true, { user: 'op1', comment: '现场确认' }); // a comment, not an ack
    j.add(t + 10 * MINUTE, 'a:H', 'UNACK', true, { comment: '重复报警' }); // re-alarm
    j.add(t + 11 * MINUTE, 'a:H', 'ACKED', true, { user: 'op2' }); // 60 s after the re-alarm
    j.add(t + 12 * MINUTE, 'a:H', 'NORMAL', false);
    j.add(t, 'b:H', 'UNACK', true);
    j.add(t + MINUTE, 'b:H', 'RTN_UNACK', false);
    j.add(t + 5 * MINUTE, 'b:H', 'NORMAL', false, { user: 'op1' }); // ack after return: 300 s
    j.add(t, 'c:H', 'UNACK', true);
    j.add(t + 90 * S, 'c:H', 'ACKED', true, { user: 'op1' }); // 90 s
    j.add(t, 'never:H', 'UNACK', true);
    j.add(t + MINUTE, 'never:H', 'RTN_UNACK', false);
    j.add(t + 2 * MINUTE, 'never:H', 'UNACK', true); // new activation before anyone acknowledged the first
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.annunciated).toBe(5);
    expect(k.reAnnunciated).toBe(1);
    // 30, 60, 90, 300 s: median (60 + 90) / 2, p90 by nearest rank = the 4th.
    expect(k.timeToAck).toEqual({ count: 4, medianMs: 75 * S, p90Ms: 300 * S, maxMs: 300 * S, unacknowledged: 2 });
  });

  it('an alarm shelved before anyone acknowledged it has waited since its activation when it comes back', () => {
    const j = journal();
    j.add(T0, 'a:H', 'UNACK', true);
    j.add(T0 + MINUTE, 'a:H', 'SHELVED', true, { user: 'op1', comment: '处理中' });
    j.add(T0 + 2 * MINUTE, 'a:H', 'UNACK', true, { user: 'op1' });
    j.add(T0 + 3 * MINUTE, 'a:H', 'ACKED', true, { user: 'op1' });
    const k = computeAlarmKpis(j.events, period).total;
    expect(k.reAnnunciated).toBe(1);
    expect(k.timeToAck).toMatchObject({ count: 1, medianMs: 3 * MINUTE, unacknowledged: 0 });
  });

  it('with no acknowledgements the figures are null, not zero', () => {
    const j = journal();
    j.add(T0, 'a:H', 'UNACK', true);
    expect(computeAlarmKpis(j.events, period).total.timeToAck).toEqual({ count: 0, medianMs: null, p90Ms: null, maxMs: null, unacknowledged: 1 });
  });
});

describe('alarm KPIs: areas and report', () => {
  it('gives figures per area (console) and in total', () => {
    const j = journal();
    for (let i = 0; i < 11; i++) j.cycle(T0 + i * 10 * S, `bf${i}:H`);
    for (let i = 0; i < 3; i++) j.cycle(T0 + i * 10 * S, `gh${i}:H`);
    const k = computeAlarmKpis(j.events, { ...period, areaOf: (p) => (p.startsWith('bf') ? '高炉' : '煤气柜') });
    expect(k.total.annunciated).toBe(14);
    expect(k.areas.map((a) => [a.area, a.annunciated, a.flood.periods.length])).toEqual([
      ['煤气柜', 3, 0],
      ['高炉', 11, 1],
    ]);
  });

  it('rejects an empty period', () => {
    expect(() => computeAlarmKpis([], { from: T0, to: T0 })).toThrow(RangeError);
  });

  it('prints a Chinese report with every KPI heading', () => {
    const j = journal();
    for (let i = 0; i < 11; i++) j.cycle(T0 + i * 10 * S, `bf${i}:H`, { ackMs: 20 * S });
    const text = formatKpiReport(computeAlarmKpis(j.events, { ...period, areaOf: () => '高炉' }));
    for (const heading of ['报警率', '报警泛滥', '震荡报警', '陈旧报警', '前10位频发报警', '优先级分布', '确认时间', '全厂合计', '区域 [area]: 高炉']) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('1 次, 累计 8分20秒');
  });
});

describe('alarm KPIs from the real alarm manager', () => {
  it('reads the journal the manager writes: activations, acks, shelving and returns', () => {
    const scheduler = new VirtualTimeScheduler();
    const journalStore = new MemoryJournal();
    const manager = new AlarmManager({
      definitions: [
        { alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, label: '高高报', limit: 160, ruleId: 'r1' },
        { alarmId: 'tp:H', point: 'tp', condition: 'H', severity: 1, label: '高报', limit: 250, ruleId: 'r2' },
      ],
      pointInfo: (p) => ({ name: p, unit: 'ppm', area: 'A' }),
      journal: journalStore,
      scheduler,
    });
    const at = (ms: number) => (scheduler.frame = T0 + ms);
    const set = (alarmId: string, active: boolean, ms: number) => {
      at(ms);
      manager.apply({ alarmId, active, value: active ? 200 : 100, ts: T0 + ms });
    };
    set('co:HH', true, 0);
    at(45 * S);
    manager.acknowledge('co:HH', 'op1');
    set('co:HH', false, MINUTE);
    set('co:HH', true, 2 * MINUTE);
    set('co:HH', false, 2 * MINUTE + 10 * S);
    at(3 * MINUTE);
    manager.acknowledge('co:HH', 'op1'); // RTN_UNACK → NORMAL, 60 s after the second activation
    set('tp:H', true, 10 * MINUTE);
    at(11 * MINUTE);
    manager.shelve('tp:H', 'op2', { durationMs: HOUR, reason: '仪表故障' }); // before anyone acknowledged it
    set('tp:H', false, 12 * MINUTE);
    set('tp:H', true, 13 * MINUTE); // while shelved: journaled, not annunciated
    manager.close();

    const k = computeAlarmKpis(journalStore.events, period).total;
    expect(k.annunciated).toBe(3);
    expect(k.notAnnunciated.shelved).toBe(1);
    expect(k.badActors.map((b) => [b.alarmId, b.count])).toEqual([
      ['co:HH', 2],
      ['tp:H', 1],
    ]);
    expect(k.timeToAck).toMatchObject({ count: 2, medianMs: 52.5 * S, maxMs: 60 * S, unacknowledged: 1 });
    expect(k.priority.byClass).toMatchObject({ medium: { count: 2 }, low: { count: 1 } });
  });
});
