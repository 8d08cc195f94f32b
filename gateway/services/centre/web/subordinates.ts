// 下级中心: the centres of the tier below (a province's cities, a city's counties) with their latest
// summary (envelope type summary). The list drills into one centre: its figures, the centres below
// it with their totals (a province sees a city's counties) and the enterprises it watches itself.
// Also the section of the grid page that lists the centres below apart from the enterprises.
import { api } from '../../console/web/api.js';
import { esc, time } from '../../console/web/format.js';

type Levels = Record<string, number>;
interface SummaryEnterprise {
  code: string;
  name: string;
  grade: 'A' | 'B' | 'C' | 'D';
  online: boolean;
  lastDataTime: number | null;
  activeAlarms: Levels;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
}
/** The counts that a summary, a row of the centres below and the tier totals share (gateway/uplink/summary.ts). */
interface TierCounts {
  enterprises: number;
  obliged: number;
  connected: number;
  online: number;
  connectionRate: number | null;
  onlineRate: number | null;
  pointOnlineRate: number | null;
  alarmsToday: Levels;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
}
/** One centre below with its totals, as /centre/figures (perCentre) and a summary's perCentre carry it. */
export interface CentreRow extends TierCounts {
  code: string;
  name: string;
  level: 'county' | 'city';
  regionCode: string;
  linkOnline: boolean;
  stale: boolean;
  at: number | null;
}
interface StaleCentre {
  code: string;
  name: string;
  lastSummaryAt: number | null;
}
interface Summary extends TierCounts {
  at: number;
  issuer: string;
  warnings: { pending: number; answered: number; overdue: number };
  perEnterprise: SummaryEnterprise[];
  perCentre?: CentreRow[];
  stale?: { centres: StaleCentre[]; enterprises: number };
}
interface Subordinate {
  code: string;
  name: string;
  levelName: string;
  regionCode: string;
  online: boolean;
  stale: boolean;
  latest: { receivedAt: number; historical: boolean; summary: Summary } | null;
}
/** The figures of a centre with centres below (/centre/figures). */
export interface TierTotals extends TierCounts {
  warnings: { pending: number; answered: number; overdue: number };
  own: { enterprises: number };
  centres: { registered: number; live: number; stale: number };
  perCentre: CentreRow[];
  stale: { centres: StaleCentre[]; enterprises: number };
  olderSummaries: string[];
}

const LEVEL_ZH: Record<string, string> = { county: '县级', city: '市级' };
const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const levels = (l: Levels): string => `<td>${l[4] ?? 0}</td><td>${l[3] ?? 0}</td><td>${l[2] ?? 0}</td><td>${l[1] ?? 0}</td>`;
const staleMark = (stale: boolean, at: number | null): string => (stale ? `<span class="stale">超时未报${at === null ? '（从未上报）' : `（${esc(time(at))}）`}</span>` : at === null ? '—' : esc(time(at)));

/** A table of centres below with their totals; a row links to the centre's page when `link` is set. */
function centreTable(id: string, rows: CentreRow[], link: boolean, totalRow = ''): string {
  const head = '<tr><th>监测中心</th><th>级别</th><th>行政区划</th><th>链路</th><th>汇总时间</th><th>企业</th><th>联网率</th><th>在线率</th><th>测点在线率</th><th>今日红</th><th>橙</th><th>黄</th><th>蓝</th><th>未整改隐患</th></tr>';
  const body = rows
    .map(
      (c) => `<tr class="centre-row${c.stale ? ' is-stale' : ''}" data-code="${esc(c.code)}"><td>${link ? `<a href="#/subordinates/${esc(c.code)}">${esc(c.name)}</a>` : esc(c.name)}</td><td>${LEVEL_ZH[c.level] ?? esc(c.level)}</td><td>${esc(c.regionCode)}</td>
      <td>${c.linkOnline ? '在线' : '离线'}</td><td>${staleMark(c.stale, c.at)}</td><td>${c.enterprises}</td><td>${pct(c.connectionRate)}（${c.connected}/${c.obliged}）</td><td>${pct(c.onlineRate)}</td><td>${pct(c.pointOnlineRate)}</td>${levels(c.alarmsToday)}<td>${c.hiddenDangersOpen}（逾期 ${c.hiddenDangersOverdue}）</td></tr>`,
    )
    .join('');
  return `<table id="${id}" class="centres">${head}${body || '<tr><td colspan="14">无</td></tr>'}${totalRow}</table>`;
}

function staleNote(stale: { centres: StaleCentre[]; enterprises: number } | undefined): string {
  if (!stale || stale.centres.length === 0) return '';
  return `<p class="stale-note">超时未报、未计入合计的监测中心 ${stale.centres.length} 个（上次上报企业 ${stale.enterprises} 家）：${stale.centres.map((c) => `${esc(c.name)}（${c.lastSummaryAt === null ? '从未上报' : esc(time(c.lastSummaryAt))}）`).join('、')}</p>`;
}

/** The daily report's centres below (routes.ts centresBelow): latest summaries and the tier totals, or why there are none. */
export type ReportCentres = { omitted: string } | { at: number; total: TierCounts; perCentre: CentreRow[]; stale: { centres: StaleCentre[]; enterprises: number } } | undefined;

export function reportCentresSection(below: ReportCentres): string {
  if (!below) return '';
  if ('omitted' in below) return `<h3>下级监测中心</h3><p>${esc(below.omitted)}</p>`;
  const t = below.total;
  const totalRow = `<tr class="total"><td>合计</td><td colspan="4">本级直管企业与未超时的下级中心</td><td>${t.enterprises}</td><td>${pct(t.connectionRate)}（${t.connected}/${t.obliged}）</td><td>${pct(t.onlineRate)}</td><td>${pct(t.pointOnlineRate)}</td>${levels(t.alarmsToday)}<td>${t.hiddenDangersOpen}（逾期 ${t.hiddenDangersOverdue}）</td></tr>`;
  return `<h3>下级监测中心（最新汇总，截至 ${esc(time(below.at))}）</h3>${centreTable('report-centres', below.perCentre, false, totalRow)}${staleNote(below.stale)}`;
}

/** The grid page's section of centres below, apart from the enterprises (nothing for a county). */
export function centresSection(f: TierTotals): string {
  if (f.centres.registered === 0) return '';
  return `<h2>下级监测中心（${f.centres.registered} 个，其中超时未报 ${f.centres.stale} 个）</h2>
    ${centreTable('grid-centres', f.perCentre, true)}${staleNote(f.stale)}
    <h2>本级直管企业（${f.own.enterprises} 家）</h2>`;
}

/** A note under the figures: what the totals of a centre with centres below include. */
export function tierNote(f: TierTotals): string {
  if (f.centres.registered === 0) return '';
  return `<p class="tier-note"><small>合计 = 本级直管企业 ${f.own.enterprises} 家 + ${f.centres.live} 个下级中心最新汇总（共 ${f.enterprises} 家企业）${f.centres.stale ? `；${f.centres.stale} 个下级中心超时未报，未计入` : ''}${f.olderSummaries.length ? `；${f.olderSummaries.length} 个下级中心为旧版汇总，测点在线率与本周报警不含其数据` : ''}。</small></p>`;
}

async function listPage(main: HTMLElement): Promise<void> {
  const { total, subordinates } = await api<{ total: TierTotals; subordinates: Subordinate[] }>('GET', '/centre/subordinates');
  const t = total;
  const totalRow = `<tr class="total"><td>合计</td><td colspan="4">本级直管企业 ${t.own.enterprises} 家 + ${t.centres.live} 个下级中心</td><td>${t.enterprises}</td><td>${pct(t.connectionRate)}（${t.connected}/${t.obliged}）</td><td>${pct(t.onlineRate)}</td><td>${pct(t.pointOnlineRate)}</td>${levels(t.alarmsToday)}<td>${t.hiddenDangersOpen}（逾期 ${t.hiddenDangersOverdue}）</td></tr>`;
  main.innerHTML = `<h2>下级监测中心</h2>
    ${centreTable('subordinates', t.perCentre, true, totalRow)}
    <p>预警（含下级）：待反馈 ${t.warnings.pending} · 已反馈 ${t.warnings.answered} · <span class="track-overdue">逾期 ${t.warnings.overdue}</span></p>
    ${staleNote(t.stale)}
    ${subordinates.length === 0 ? '<p>名录中尚无下级监测中心（在企业名录中以“监测中心”类型登记）。</p>' : ''}
    <p><small>合计按各中心上报的计数相加后再求比率（联网率 = 已接入/应接入，在线率 = 在线/已接入）；超过设定时间未上报汇总的中心单列，不计入合计。联网率、在线率无国家统一定义，按本系统定义。</small></p>`;
}

async function centrePage(main: HTMLElement, code: string): Promise<void> {
  const { subordinates } = await api<{ subordinates: Subordinate[] }>('GET', '/centre/subordinates');
  const c = subordinates.find((x) => x.code === code);
  if (!c) {
    main.innerHTML = `<p><a href="#/subordinates">← 下级监测中心</a></p><p>名录中没有这个监测中心：${esc(code)}</p>`;
    return;
  }
  const s = c.latest?.summary;
  const head = `<p><a href="#/subordinates">← 下级监测中心</a></p>
    <h2 id="centre-title">${esc(c.name)}（${esc(c.levelName)}，${esc(c.regionCode)}）</h2>
    <p>统一社会信用代码 ${esc(c.code)} · 链路 ${c.online ? '在线' : '离线'} · 最新汇总 ${staleMark(c.stale, s?.at ?? null)}${c.latest?.historical ? '（补传）' : ''}</p>`;
  if (!s) {
    main.innerHTML = `${head}<p>尚未收到该中心的汇总。</p>`;
    return;
  }
  main.innerHTML = `${head}
    <table id="centre-totals"><tr><th>企业</th><th>联网率</th><th>在线率</th><th>测点在线率</th><th>今日红</th><th>橙</th><th>黄</th><th>蓝</th><th>未整改隐患</th><th>预警 待反馈/已反馈/逾期</th></tr>
    <tr><td>${s.enterprises}</td><td>${pct(s.connectionRate)}（${s.connected}/${s.obliged}）</td><td>${pct(s.onlineRate)}</td><td>${pct(s.pointOnlineRate)}</td>${levels(s.alarmsToday)}<td>${s.hiddenDangersOpen}（逾期 ${s.hiddenDangersOverdue}）</td><td>${s.warnings.pending} / ${s.warnings.answered} / <span class="track-overdue">${s.warnings.overdue}</span></td></tr></table>
    ${c.stale ? '<p class="stale-note">该中心的汇总已超时，以上为其最后一次上报，未计入本级合计。</p>' : ''}
    ${s.perCentre?.length ? `<h2>${esc(c.name)} 的下级监测中心</h2>${centreTable('sub-centres', s.perCentre, false)}${staleNote(s.stale)}` : ''}
    <h2>${esc(c.name)} 直管企业（${s.perEnterprise.length} 家）</h2>
    <table class="subordinate-enterprises"><tr><th>企业</th><th>统一社会信用代码</th><th>等级</th><th>在线</th><th>最新数据</th><th>红</th><th>橙</th><th>黄</th><th>蓝</th><th>未整改隐患</th><th>逾期隐患</th></tr>
    ${s.perEnterprise.map((e) => `<tr><td>${esc(e.name)}</td><td>${esc(e.code)}</td><td class="grade-${esc(e.grade)}">${esc(e.grade)}</td><td>${e.online ? '在线' : '离线'}</td><td>${e.lastDataTime === null ? '—' : esc(time(e.lastDataTime))}</td>${levels(e.activeAlarms)}<td>${e.hiddenDangersOpen}</td><td>${e.hiddenDangersOverdue}</td></tr>`).join('') || '<tr><td colspan="11">无</td></tr>'}</table>`;
}

/** #/subordinates lists the centres below; #/subordinates/<code> drills into one. */
export async function subordinatesPage(main: HTMLElement, code: string): Promise<void> {
  if (code) await centrePage(main, code);
  else await listPage(main);
}
