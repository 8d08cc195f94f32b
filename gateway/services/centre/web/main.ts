// The centre console (监测中心): enterprise grid coloured by grade with alarm badges, filters, an
// enterprise's drill-down (alarms, points, trends), warning tracking and the daily report (日报).
// Reuses the operator console's API client, formatting and chart.
import { api, ApiError, setCsrf, whenLoggedOut, type Me } from '../../console/web/api.js';
import { trendSvg } from '../../console/web/chart.js';
import { esc, ROLE_ZH, STATE_ZH, time } from '../../console/web/format.js';
import { centresSection, reportCentresSection, subordinatesPage, tierNote, type ReportCentres, type TierTotals } from './subordinates.js';

interface Status {
  code: string;
  name: string;
  industry: string;
  town: string;
  grade: 'A' | 'B' | 'C' | 'D';
  online: boolean;
  lastDataTime?: number;
  points: number;
  freshGoodShare: number;
  activeAlarms: Record<string, number>;
  hiddenDangersOpen: number;
  hiddenDangersOverdue: number;
}
interface Figures {
  enterprises: number;
  obliged: number;
  connected: number;
  online: number;
  connectionRate: number | null;
  onlineRate: number | null;
  pointOnlineRate: number | null;
  alarmsToday: Record<string, number>;
  alarmsThisWeek: Record<string, number>;
  topEnterprises: { code: string; name: string; alarms: number }[];
}
interface Tracked {
  warning: { warningId: string; enterpriseCode: string; level: number; kind: string; title: string; content: string; issuedAt: number; feedbackDeadline?: number };
  track: string;
  trackName?: string;
  kindName?: string;
  enterpriseName?: string | null;
  feedback?: { content: string; handledBy: string; at: number };
}

const GRADE_ZH: Record<string, string> = { A: 'A 红', B: 'B 橙', C: 'C 黄', D: 'D 蓝' };
const LEVEL_ZH: Record<number, string> = { 4: '红', 3: '橙', 2: '黄', 1: '蓝' };
const main = document.querySelector<HTMLElement>('#main')!;
let refresh: number | undefined;
let industries: Record<string, string> = {};

function pct(x: number | null): string {
  return x === null ? '—' : `${(x * 100).toFixed(1)}%`;
}

function toast(text: string): void {
  const t = document.querySelector<HTMLElement>('#toast')!;
  t.textContent = text;
  t.classList.add('show');
  setTimeout(() => t.classList.remove('show'), 4000);
}

function showLogin(): void {
  document.body.classList.add('logged-out');
  if (refresh !== undefined) clearInterval(refresh);
  closeStream();
  main.innerHTML = `<form id="login" class="login"><h2>监测中心登录</h2><input name="name" placeholder="用户名" autocomplete="username" required><input name="password" type="password" placeholder="密码" autocomplete="current-password" required><button>登录</button></form>`;
  document.querySelector<HTMLFormElement>('#login')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    api<Me>('POST', '/auth/login', { name: f.get('name'), password: f.get('password') })
      .then((me) => loggedIn(me))
      .catch((e: unknown) => toast(`登录失败：${(e as Error).message}`));
  });
}

function loggedIn(me: Me): void {
  setCsrf(me.csrfToken);
  document.body.classList.remove('logged-out');
  document.querySelector('#user')!.textContent = `${me.user.name}（${ROLE_ZH[me.user.role] ?? me.user.role}）`;
  route();
}

function figuresHtml(f: Figures): string {
  const box = (label: string, v: string, note = '') => `<div class="figure"><small>${label}</small><b>${v}</b><small>${note}</small></div>`;
  return `<div class="figures">
    ${box('联网率', pct(f.connectionRate), `已接入 ${f.connected} / 应接入 ${f.obliged}`)}
    ${box('在线率', pct(f.onlineRate), `在线 ${f.online} / 已接入 ${f.connected}`)}
    ${box('测点在线率', pct(f.pointOnlineRate), '数据新鲜且质量良好')}
    ${box('今日报警', String([4, 3, 2, 1].reduce((s, l) => s + (f.alarmsToday[l] ?? 0), 0)), [4, 3, 2, 1].map((l) => `${LEVEL_ZH[l]} ${f.alarmsToday[l] ?? 0}`).join(' '))}
    ${box('本周报警', String([4, 3, 2, 1].reduce((s, l) => s + (f.alarmsThisWeek[l] ?? 0), 0)), [4, 3, 2, 1].map((l) => `${LEVEL_ZH[l]} ${f.alarmsThisWeek[l] ?? 0}`).join(' '))}
  </div>`;
}

function badgesHtml(active: Record<string, number>): string {
  return [4, 3, 2, 1].filter((l) => (active[l] ?? 0) > 0).map((l) => `<span class="badge sev${l}" title="${LEVEL_ZH[l]}色报警">${active[l]}</span>`).join('');
}

// ---- live badges: GET /api/v1/centre/events (SSE) ----
// Each alarm or online change of an enterprise arrives with its badges after it; the tile is updated
// in place. The grid is still reloaded every GRID_POLL_MS as a fallback (and on a reset, when the
// stream was too far behind to replay what it missed).
const GRID_POLL_MS = 30_000;
interface Badges {
  enterpriseCode: string;
  online: boolean;
  activeAlarms: Record<string, number>;
}
let stream: EventSource | undefined;
/** Changes that arrive while the grid is being loaded, applied once it is on the screen. */
let gridLoading = false;
let queued: Badges[] = [];

function applyBadges(b: Badges): void {
  if (gridLoading) {
    queued.push(b);
    return;
  }
  const tile = main.querySelector<HTMLElement>(`.tile[data-code="${CSS.escape(b.enterpriseCode)}"]`);
  if (!tile) return;
  tile.querySelector('.badges')!.innerHTML = badgesHtml(b.activeAlarms);
  tile.classList.toggle('offline', !b.online);
  tile.querySelector('.online-text')!.textContent = b.online ? '在线' : '离线';
}

function openStream(): void {
  if (stream) return;
  // EventSource resends the last id it saw as Last-Event-ID when it reconnects: the centre replays what was missed.
  const es = new EventSource('/api/v1/centre/events');
  stream = es;
  const onChange = (ev: Event): void => {
    const m = ev as MessageEvent<string>;
    document.body.dataset.liveSeq = m.lastEventId;
    applyBadges(JSON.parse(m.data) as Badges);
  };
  es.addEventListener('alarm', onChange);
  es.addEventListener('online', onChange);
  es.addEventListener('hello', (ev) => (document.body.dataset.liveSeq = (ev as MessageEvent<string>).lastEventId));
  es.addEventListener('reset', (ev) => {
    document.body.dataset.liveSeq = (ev as MessageEvent<string>).lastEventId;
    // Too far behind to replay: the grid (when shown) is reloaded.
    if (main.querySelector('#grid')) void gridPage().catch(() => undefined);
  });
  es.addEventListener('open', () => document.body.classList.remove('live-down'));
  es.addEventListener('error', () => {
    document.body.classList.add('live-down');
    // A closed stream (session ended) is not retried by the browser: check the session and reopen.
    if (es.readyState === EventSource.CLOSED) {
      stream = undefined;
      window.setTimeout(() => void api<Me>('GET', '/auth/me').then(() => openStream()).catch(() => undefined), 2000);
    }
  });
}

function closeStream(): void {
  stream?.close();
  stream = undefined;
}

async function gridPage(): Promise<void> {
  gridLoading = true;
  try {
    await renderGrid();
  } finally {
    gridLoading = false;
    const late = queued;
    queued = [];
    for (const b of late) applyBadges(b);
  }
}

async function renderGrid(): Promise<void> {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const [list, figures] = await Promise.all([api<{ enterprises: Status[]; industries: Record<string, string> }>('GET', `/centre/enterprises?${params.toString()}`), api<Figures & TierTotals>('GET', '/centre/figures')]);
  industries = list.industries;
  const all = await api<{ enterprises: Status[] }>('GET', '/centre/enterprises');
  const towns = [...new Set(all.enterprises.map((e) => e.town))].sort();
  const option = (value: string, label: string, current: string | null) => `<option value="${esc(value)}"${current === value ? ' selected' : ''}>${esc(label)}</option>`;
  const tiles = list.enterprises
    .sort((a, b) => a.grade.localeCompare(b.grade) || a.name.localeCompare(b.name, 'zh'))
    .map((e) => {
      return `<div class="tile grade-${e.grade}${e.online ? '' : ' offline'}" data-code="${esc(e.code)}" tabindex="0">
        <div class="badges">${badgesHtml(e.activeAlarms)}</div>
        <div class="name">${esc(e.name)}</div>
        <div class="meta">${esc(industries[e.industry] ?? e.industry)} · ${esc(e.town)} · ${GRADE_ZH[e.grade]}</div>
        <div class="meta"><span class="online-text">${e.online ? '在线' : '离线'}</span> · 数据 ${e.lastDataTime ? esc(time(e.lastDataTime).slice(5, 16)) : '—'}</div>
        <div class="meta">测点 ${e.points} · 新鲜 ${pct(e.freshGoodShare)}${e.hiddenDangersOpen ? ` · 隐患 ${e.hiddenDangersOpen}` : ''}</div>
      </div>`;
    })
    .join('');
  main.innerHTML = `${figuresHtml(figures)}${tierNote(figures)}${centresSection(figures)}
    <div class="filters">
      <label>乡镇 <select id="f-town"><option value="">全部</option>${towns.map((t) => option(t, t, params.get('town'))).join('')}</select></label>
      <label>行业 <select id="f-industry"><option value="">全部</option>${Object.entries(industries).map(([k, v]) => option(k, v, params.get('industry'))).join('')}</select></label>
      <label>等级 <select id="f-grade"><option value="">全部</option>${['A', 'B', 'C', 'D'].map((g) => option(g, GRADE_ZH[g]!, params.get('grade'))).join('')}</select></label>
      <span class="legend"><span class="grade-A">A 红</span><span class="grade-B">B 橙</span><span class="grade-C">C 黄</span><span class="grade-D">D 蓝</span> 虚框：离线；角标：当前报警数（红/橙/黄/蓝）</span>
    </div>
    <div class="grid" id="grid">${tiles || '<div>没有符合条件的企业</div>'}</div>
    <p><small>联网率 = 已接入（30 天内有有效上报）的应接入企业 / 应接入企业；在线率 = 当前在线的已接入企业 / 已接入企业（无国家统一定义，按本系统定义）。</small></p>`;
  for (const id of ['town', 'industry', 'grade']) {
    document.querySelector<HTMLSelectElement>(`#f-${id}`)!.addEventListener('change', () => {
      const q = new URLSearchParams();
      for (const k of ['town', 'industry', 'grade']) {
        const v = document.querySelector<HTMLSelectElement>(`#f-${k}`)!.value;
        if (v) q.set(k, v);
      }
      location.hash = `#/grid?${q.toString()}`;
    });
  }
  main.querySelectorAll<HTMLElement>('.tile').forEach((t) => t.addEventListener('click', () => (location.hash = `#/enterprise/${t.dataset.code}`)));
}

async function enterprisePage(code: string): Promise<void> {
  const d = await api<{
    enterprise: { code: string; name: string; industry: string; town: string; grade: string; contacts: { name: string; phone: string }[]; gateways: string[] };
    status: Status;
    gradeHistory: { from: string | null; to: string; user: string; reason: string; at: number }[];
    points: { code: string; name: string | null; unit: string | null; latest: { value: number | boolean | null; quality: string; time: number; alarmLevel: number } | null }[];
    alarms: { pointCode: string; alarmType: string; level: number; state?: string; message?: string; startedAt: number }[];
    warnings: Tracked[];
  }>('GET', `/centre/enterprises/${encodeURIComponent(code)}`);
  const log = await api<{ events: { pointCode: string; alarmType: string; level: number; active: boolean; ts: number; historical: boolean; message: string | null }[] }>('GET', `/centre/enterprises/${encodeURIComponent(code)}/alarms?limit=100`);
  const e = d.enterprise;
  main.innerHTML = `<p><a href="#/grid">← 企业一览</a></p>
    <h2>${esc(e.name)} <span class="legend"><span class="grade-${e.grade}">${GRADE_ZH[e.grade]}</span></span></h2>
    <p>统一社会信用代码 ${esc(e.code)} · ${esc(industries[e.industry] ?? e.industry)} · ${esc(e.town)} · 网关 ${esc(e.gateways.join('、') || '—')} · ${d.status.online ? '在线' : '离线'} · 联系人 ${esc(e.contacts.map((c) => `${c.name} ${c.phone}`).join('；') || '—')}</p>
    <h2>当前报警</h2>
    <table id="alarms"><tr><th>级别</th><th>测点</th><th>类型</th><th>状态</th><th>开始</th><th>内容</th></tr>
    ${d.alarms.map((a) => `<tr><td>${LEVEL_ZH[a.level] ?? a.level}</td><td>${esc(a.pointCode)}</td><td>${esc(a.alarmType)}</td><td>${esc(a.state ? (STATE_ZH[a.state] ?? a.state) : '')}</td><td>${esc(time(a.startedAt))}</td><td>${esc(a.message ?? '')}</td></tr>`).join('') || '<tr><td colspan="6">无</td></tr>'}</table>
    <h2>测点</h2>
    <table id="points"><tr><th>测点编码</th><th>名称</th><th>当前值</th><th>质量</th><th>时间</th><th></th></tr>
    ${d.points.map((p) => `<tr><td>${esc(p.code)}</td><td>${esc(p.name ?? '')}</td><td>${p.latest ? esc(String(p.latest.value)) + ' ' + esc(p.unit ?? '') : '—'}</td><td>${esc(p.latest?.quality ?? '')}</td><td>${p.latest ? esc(time(p.latest.time)) : ''}</td><td><button data-trend="${esc(p.code)}">趋势</button></td></tr>`).join('')}</table>
    <div id="trend"></div>
    <h2>报警记录</h2>
    <table><tr><th>时间</th><th>测点</th><th>类型</th><th>级别</th><th>动作</th><th>来源</th></tr>
    ${log.events.map((x) => `<tr><td>${esc(time(x.ts))}</td><td>${esc(x.pointCode)}</td><td>${esc(x.alarmType)}</td><td>${LEVEL_ZH[x.level] ?? '—'}</td><td>${x.active ? '报警' : '恢复'}</td><td>${x.historical ? '补传' : '实时'}</td></tr>`).join('') || '<tr><td colspan="6">无</td></tr>'}</table>
    <h2>等级调整记录</h2>
    <table><tr><th>时间</th><th>调整</th><th>操作人</th><th>依据</th></tr>
    ${d.gradeHistory.map((g) => `<tr><td>${esc(time(g.at))}</td><td>${esc(g.from ?? '—')} → ${esc(g.to)}</td><td>${esc(g.user)}</td><td>${esc(g.reason)}</td></tr>`).join('')}</table>
    <form id="grade"><label>调整等级 <select name="grade">${['A', 'B', 'C', 'D'].map((g) => `<option value="${g}">${GRADE_ZH[g]}</option>`).join('')}</select></label> <input name="reason" placeholder="调整依据（必填）" size="40"> <button>保存</button></form>
    <h2>预警</h2>${warningsTable(d.warnings)}`;
  main.querySelectorAll<HTMLButtonElement>('button[data-trend]').forEach((b) =>
    b.addEventListener('click', () => {
      const to = Date.now();
      const from = to - 86_400_000;
      api<{ samples: { ts: number; value: number | null }[] }>('GET', `/centre/enterprises/${encodeURIComponent(code)}/trend?point=${encodeURIComponent(b.dataset.trend!)}&from=${from}&to=${to}`)
        .then((t) => (document.querySelector('#trend')!.innerHTML = `<h2>${esc(b.dataset.trend!)} 近 24 小时趋势</h2>${trendSvg(t.samples, { from, to, unit: d.points.find((p) => p.code === b.dataset.trend)?.unit ?? '' })}`))
        .catch((err: unknown) => toast((err as Error).message));
    }),
  );
  document.querySelector<HTMLFormElement>('#grade')!.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    api('POST', `/centre/enterprises/${encodeURIComponent(code)}/grade`, { grade: f.get('grade'), reason: f.get('reason') })
      .then(() => enterprisePage(code))
      .catch((err: unknown) => toast(err instanceof ApiError && err.status === 403 ? '权限不足：只有监测中心负责人可调整等级' : `调整失败：${(err as Error).message}`));
  });
}

function warningsTable(list: Tracked[]): string {
  return `<table class="warnings"><tr><th>下发时间</th><th>企业</th><th>类型</th><th>级别</th><th>标题</th><th>反馈期限</th><th>跟踪</th><th>反馈</th></tr>
  ${list.map((w) => `<tr><td>${esc(time(w.warning.issuedAt))}</td><td>${esc(w.enterpriseName ?? w.warning.enterpriseCode)}</td><td>${esc(w.kindName ?? w.warning.kind)}</td><td>${LEVEL_ZH[w.warning.level]}</td><td>${esc(w.warning.title)}</td><td>${w.warning.feedbackDeadline ? esc(time(w.warning.feedbackDeadline)) : ''}</td><td class="track-${esc(w.track)}">${esc(w.trackName ?? w.track)}</td><td>${esc(w.feedback ? `${w.feedback.handledBy}：${w.feedback.content}` : '')}</td></tr>`).join('') || '<tr><td colspan="8">无</td></tr>'}</table>`;
}

async function warningsPage(): Promise<void> {
  const { warnings } = await api<{ warnings: Tracked[] }>('GET', '/centre/warnings');
  const count = (t: string) => warnings.filter((w) => w.track === t).length;
  main.innerHTML = `<h2>预警跟踪</h2><p>待签收 ${count('pending')} · 已签收 ${count('received')} · 处置中 ${count('in_hand')} · 已反馈 ${count('answered')} · <span class="track-overdue">逾期 ${count('overdue')}</span></p>${warningsTable(warnings)}`;
}

async function reportPage(): Promise<void> {
  const rep = await api<{ date: string; issuer: string; figures: Figures; rows: (Status & { alarms: Record<string, number>; warnings: number; warningsOpen: number })[]; centresBelow?: ReportCentres }>('GET', '/centre/report/daily');
  main.innerHTML = `<div class="no-print"><a href="/api/v1/centre/report/daily.csv" download>下载 CSV</a> <button id="print">打印</button></div>
    <h2>${esc(rep.issuer)} 安全风险监测日报（${esc(rep.date)}）</h2>
    ${rep.centresBelow ? '<h3>本级直管企业</h3>' : ''}${figuresHtml(rep.figures)}
    <table id="report"><tr><th>企业</th><th>乡镇</th><th>等级</th><th>在线</th><th>红</th><th>橙</th><th>黄</th><th>蓝</th><th>当日预警</th><th>未反馈</th><th>未整改隐患</th></tr>
    ${rep.rows.map((r) => `<tr><td>${esc(r.name)}</td><td>${esc(r.town)}</td><td>${GRADE_ZH[r.grade]}</td><td>${r.online ? '在线' : '离线'}</td><td>${r.alarms[4] ?? 0}</td><td>${r.alarms[3] ?? 0}</td><td>${r.alarms[2] ?? 0}</td><td>${r.alarms[1] ?? 0}</td><td>${r.warnings}</td><td>${r.warningsOpen}</td><td>${r.hiddenDangersOpen}</td></tr>`).join('')}</table>
    ${reportCentresSection(rep.centresBelow)}`;
  document.querySelector('#print')!.addEventListener('click', () => window.print());
}

function route(): void {
  if (refresh !== undefined) clearInterval(refresh);
  const hash = location.hash || '#/grid';
  const show = (p: Promise<void>): void => {
    p.catch((e: unknown) => toast((e as Error).message));
  };
  if (hash.startsWith('#/enterprise/')) show(enterprisePage(decodeURIComponent(hash.slice('#/enterprise/'.length))));
  else if (hash.startsWith('#/warnings')) show(warningsPage());
  else if (hash.startsWith('#/report')) show(reportPage());
  else if (hash.startsWith('#/subordinates')) show(subordinatesPage(main, decodeURIComponent(hash.slice('#/subordinates/'.length))));
  else {
    // Alarm badges and online state follow the live stream; the slow reload is a fallback.
    openStream();
    show(gridPage());
    refresh = window.setInterval(() => show(gridPage()), GRID_POLL_MS);
  }
}

whenLoggedOut(showLogin);
window.addEventListener('hashchange', route);
document.querySelector('#logout')!.addEventListener('click', () => {
  api('POST', '/auth/logout').catch(() => undefined).finally(showLogin);
});
api<Me>('GET', '/auth/me')
  .then(loggedIn)
  .catch(() => showLogin());
