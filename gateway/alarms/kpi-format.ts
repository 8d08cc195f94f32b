import { SEVERITY_INFO, type Severity } from '../core/alarm-event.js';
import { STATE_LABELS } from './messages.js';
import {
  CHATTER_COUNT,
  type AlarmKpis,
  type AlarmRef,
  type KpiFigures,
  type LoadRating,
  type PriorityClass,
  type RateWindow,
} from './kpi.js';

const RATING_LABELS: Record<LoadRating, string> = {
  acceptable: '可接受 [acceptable]',
  manageable: '可管理 [manageable]',
  'over-demanding': '负荷过重 [over-demanding]',
  unacceptable: '不可接受 [unacceptable]',
};

const WINDOW_LABELS: Record<RateWindow, string> = { per10min: '每10分钟 [per 10 min]', perHour: '每小时 [per hour]', perDay: '每天 [per day]' };

const CLASS_LABELS: Record<PriorityClass, string> = { low: '低 [low] (1 蓝+2 黄)', medium: '中 [medium] (3 橙)', high: '高 [high] (4 红)' };

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local time, as the operator's clock shows it. */
export function formatTime(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** "3天2小时", "1小时5分", "2分30秒", "12秒", "800毫秒". */
export function formatSpan(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 1000) return `${Math.round(ms)}毫秒`;
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return h > 0 ? `${d}天${h}小时` : `${d}天`;
  if (h > 0) return m > 0 ? `${h}小时${m}分` : `${h}小时`;
  if (m > 0) return sec > 0 ? `${m}分${sec}秒` : `${m}分`;
  return `${sec}秒`;
}

const pct = (p: number) => `${p.toFixed(1)}%`;
const num = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const sev = (s: Severity) => `${s}级${SEVERITY_INFO[s].zh}`;
const who = (a: AlarmRef) => `${a.alarmId} (${sev(a.severity)}${a.area ? `, ${a.area}` : ''})`;

function figureLines(f: KpiFigures, floodNote = ''): string[] {
  const lines: string[] = [];
  const hidden = f.notAnnunciated;
  lines.push(`新报警 [annunciated activations]: ${f.annunciated} 条, 涉及 ${f.alarmsActivated} 个报警`);
  lines.push(`搁置/抑制/停用期间触发, 未通告 [shelved/suppressed/out-of-service activations]: 搁置 ${hidden.shelved}, 抑制 ${hidden.suppressed}, 停用 ${hidden.outOfService}`);
  lines.push(`重复报警/解除搁置后再通告, 不计入负荷 [re-annunciations, not counted]: ${f.reAnnunciated} 次`);

  lines.push('报警率 [alarm rate] (EEMUA 191 / ISA-18.2):');
  for (const w of ['per10min', 'perHour', 'perDay'] as const) {
    const r = f.rates[w];
    const peak = r.peakStart === null ? '0' : `${r.peak} (${formatTime(r.peakStart)} 起)`;
    lines.push(`  ${WINDOW_LABELS[w]}: 平均 ${num(r.average)}, 峰值 ${peak}, 评价 ${RATING_LABELS[r.rating]} (≤${r.thresholds.acceptable} 可接受, ≤${r.thresholds.manageable} 可管理)`);
  }

  const fl = f.flood;
  lines.push(`报警泛滥 [alarm flood, >${fl.threshold} 条/${formatSpan(fl.windowMs)}]: ${fl.periods.length} 次, 累计 ${formatSpan(fl.timeInFloodMs)}, 占时段 ${pct(fl.percentTimeInFlood)} (目标 <1%)${floodNote}`);
  for (const p of fl.periods) {
    lines.push(`  ${formatTime(p.start)} — ${formatTime(p.end)}${p.ongoing ? ' (仍在持续 ongoing)' : ''}  ${formatSpan(p.end - p.start)}, ${p.count} 条, ${formatSpan(fl.windowMs)}内最多 ${p.peak} 条`);
  }

  lines.push(`震荡报警 [chattering, 60秒内≥${CHATTER_COUNT}次]: ${f.chattering.length} 个 (目标 0)`);
  for (const c of f.chattering) lines.push(`  ${who(c)}: 60秒内最多 ${c.maxIn60s} 次, 共 ${c.activations} 次`);

  lines.push(`陈旧报警 [stale, 持续>24小时]: ${f.stale.length} 个`);
  for (const s of f.stale) {
    const until = s.clearedAt === null ? `至今未恢复, 当前 ${STATE_LABELS[s.state]}` : `${formatTime(s.clearedAt)} 恢复`;
    lines.push(`  ${who(s)}: ${formatTime(s.activeSince)} 起, 持续 ${formatSpan(s.durationMs)}, ${until}`);
  }

  lines.push(`前10位频发报警 [top-10 bad actors]: 占全部新报警 ${pct(f.top10SharePercent)}`);
  f.badActors.forEach((b, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${who(b)}: ${b.count} 条, ${pct(b.sharePercent)}`));

  lines.push('优先级分布 [priority distribution] (目标 约80/15/5%):');
  for (const c of ['low', 'medium', 'high'] as const) {
    const p = f.priority.byClass[c];
    lines.push(`  ${CLASS_LABELS[c]}: ${p.count} 条, ${pct(p.percent)} (目标 约${p.targetPercent}%)`);
  }
  const bySev = ([1, 2, 3, 4] as const).map((s) => `${sev(s)} ${f.priority.bySeverity[s].count}`).join(', ');
  lines.push(`  按级别 [by severity]: ${bySev}`);

  const a = f.timeToAck;
  const t = (ms: number | null) => (ms === null ? '—' : formatSpan(ms));
  lines.push(`确认时间 [time to acknowledge]: 确认 ${a.count} 次, 中位数 ${t(a.medianMs)}, P90 ${t(a.p90Ms)}, 最长 ${t(a.maxMs)}; 未确认的新报警 ${a.unacknowledged} 条`);
  return lines;
}

/** The terminal report: period, plant total, then each area (console). */
export function formatKpiReport(k: AlarmKpis): string {
  const lines = [
    '报警系统绩效指标 [alarm KPIs] (ISA-18.2 / EEMUA 191, 只计新触发的报警 [new activations only])',
    `统计时段 [period]: ${formatTime(k.from)} — ${formatTime(k.to)} (${formatSpan(k.periodMs)})`,
    '',
    '== 全厂合计 [total] ==',
    // ISA-18.2 judges floods per console; the plant total adds all consoles together.
    ...figureLines(k.total, k.areas.length > 0 ? ' — 全厂合并计算, 各操作台见下方区域' : ''),
  ];
  for (const area of k.areas) lines.push('', `== 区域 [area]: ${area.area} ==`, ...figureLines(area));
  return lines.join('\n');
}
