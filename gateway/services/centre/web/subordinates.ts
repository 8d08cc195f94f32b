// 下级中心: the centres of the tier below (a city's counties) with their latest summary (envelope
// type summary) and, per centre, its enterprises' status as that centre last reported it.
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
interface Summary {
  at: number;
  issuer: string;
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
  warnings: { pending: number; answered: number; overdue: number };
  perEnterprise: SummaryEnterprise[];
}
interface Subordinate {
  code: string;
  name: string;
  online: boolean;
  latest: { receivedAt: number; historical: boolean; summary: Summary };
}

const pct = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const levels = (l: Levels): string => `<td>${l[4] ?? 0}</td><td>${l[3] ?? 0}</td><td>${l[2] ?? 0}</td><td>${l[1] ?? 0}</td>`;

interface Total {
  centres: number;
  enterprises: number;
  obliged: number;
  connected: number;
  online: number;
  connectionRate: number | null;
  onlineRate: number | null;
  alarmsToday: Levels;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
  warnings: { pending: number; answered: number; overdue: number };
}

export async function subordinatesPage(main: HTMLElement): Promise<void> {
  const { total, subordinates } = await api<{ total: Total; subordinates: Subordinate[] }>('GET', '/centre/subordinates');
  const rows = subordinates
    .map((c) => {
      const s = c.latest.summary;
      return `<tr class="subordinate" data-code="${esc(c.code)}"><td>${esc(c.name)}</td><td>${c.online ? '在线' : '离线'}</td><td>${esc(time(s.at))}</td>
        <td>${pct(s.connectionRate)}（${s.connected}/${s.obliged}）</td><td>${pct(s.onlineRate)}</td><td>${pct(s.pointOnlineRate)}</td>${levels(s.alarmsToday)}
        <td>${s.hiddenDangersOpen}（逾期 ${s.hiddenDangersOverdue}）</td><td>${s.warnings.pending} / ${s.warnings.answered} / <span class="track-overdue">${s.warnings.overdue}</span></td></tr>`;
    })
    .join('');
  const details = subordinates
    .map((c) => `<h2>${esc(c.name)} 企业（${c.latest.summary.perEnterprise.length} 家，截至 ${esc(time(c.latest.summary.at))}）</h2>
      <table class="subordinate-enterprises"><tr><th>企业</th><th>统一社会信用代码</th><th>等级</th><th>在线</th><th>最新数据</th><th>红</th><th>橙</th><th>黄</th><th>蓝</th><th>未整改隐患</th><th>逾期隐患</th></tr>
      ${c.latest.summary.perEnterprise.map((e) => `<tr><td>${esc(e.name)}</td><td>${esc(e.code)}</td><td class="grade-${esc(e.grade)}">${esc(e.grade)}</td><td>${e.online ? '在线' : '离线'}</td><td>${e.lastDataTime === null ? '—' : esc(time(e.lastDataTime))}</td>${levels(e.activeAlarms)}<td>${e.hiddenDangersOpen}</td><td>${e.hiddenDangersOverdue}</td></tr>`).join('')}</table>`)
    .join('');
  main.innerHTML = `<h2>下级监测中心</h2>
    <table id="subordinates"><tr><th>监测中心</th><th>链路</th><th>汇总时间</th><th>联网率</th><th>在线率</th><th>测点在线率</th><th>今日红</th><th>橙</th><th>黄</th><th>蓝</th><th>未整改隐患</th><th>预警 待反馈/已反馈/逾期</th></tr>
    ${rows || '<tr><td colspan="12">尚未收到下级监测中心的汇总</td></tr>'}
    ${total.centres > 1 ? `<tr class="total"><td>合计（${total.centres} 个中心，${total.enterprises} 家企业）</td><td></td><td></td><td>${pct(total.connectionRate)}（${total.connected}/${total.obliged}）</td><td>${pct(total.onlineRate)}</td><td>—</td>${levels(total.alarmsToday)}<td>${total.hiddenDangersOpen}（逾期 ${total.hiddenDangersOverdue}）</td><td>${total.warnings.pending} / ${total.warnings.answered} / <span class="track-overdue">${total.warnings.overdue}</span></td></tr>` : ''}</table>
    ${details}
    <p><small>各项比率按下级监测中心上报的汇总显示，口径见其说明（联网率、在线率无国家统一定义，按本系统定义）。</small></p>`;
}
