import { api, ApiError, setCsrf, whenLoggedOut, type Alarm, type JournalEvent, type Me } from './api.js';
import { barsSvg, trendSvg } from './chart.js';
import { duration, esc, KIND_ZH, QUALITY_ZH, ROLE_ZH, SEVERITY, STATE_ZH, time, UNACKED, value } from './format.js';
import { Horn } from './horn.js';
import { hazardLinks, renderHazards } from './hazards.js';

/**
 * The operator console: one page, hash routes (#/alarms, #/alarm/<id>, #/journal, #/kpi, #/points,
 * #/audit), live alarm events by one SSE stream per tab. Everything the user may not do is hidden;
 * the server checks every action anyway.
 */

const $ = <T extends HTMLElement = HTMLElement>(sel: string, root: ParentNode = document): T => root.querySelector(sel) as T;
const main = () => $('#main');

let me: Me | undefined;
const alarms = new Map<string, Alarm>();
const selected = new Set<string>();
let stream: EventSource | undefined;
let lastSeq = 0;
let seqGaps = 0;
const horn = new Horn();
let pointsTimer: number | undefined;

const may = (action: string) => me?.permissions.includes(action) === true;

function toast(text: string, bad = false): void {
  const t = $('#toast');
  t.textContent = text;
  t.className = bad ? 'show bad' : 'show';
  window.setTimeout(() => (t.className = ''), 3500);
}

/** Starts `fn` without waiting for it: success shows `ok`, a failure is shown as a toast (never an unhandled rejection). */
function run(fn: () => Promise<unknown>, ok?: string): void {
  fn().then(
    () => {
      if (ok) toast(ok);
    },
    (err: unknown) => toast(err instanceof ApiError ? err.message : String(err), true),
  );
}

/** A text field of a submitted form ('' when absent; a file is not text). */
function formText(f: FormData, name: string): string {
  const v = f.get(name);
  return typeof v === 'string' ? v : '';
}

// ---- login ----

function showLogin(message = ''): void {
  me = undefined;
  stream?.close();
  stream = undefined;
  document.body.classList.add('logged-out');
  $('#user').textContent = '';
  main().innerHTML = `
    <form id="login" class="login" autocomplete="on">
      <h1>报警控制台登录</h1>
      <label>用户名<input name="name" autocomplete="username" required maxlength="64"></label>
      <label>密码<input name="password" type="password" autocomplete="current-password" required maxlength="1024"></label>
      <button type="submit" class="primary">登录</button>
      <p class="error">${esc(message)}</p>
    </form>`;
  $<HTMLFormElement>('#login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    api<Me>('POST', '/auth/login', { name: f.get('name'), password: f.get('password') })
      .then((m) => start(m))
      .catch((err: Error) => showLogin(err.message));
  });
}
whenLoggedOut(() => showLogin('会话已结束，请重新登录'));

async function start(m: Me): Promise<void> {
  me = m;
  setCsrf(m.csrfToken);
  document.body.classList.remove('logged-out');
  $('#user').textContent = `${m.user.name}（${ROLE_ZH[m.user.role] ?? m.user.role}）`;
  document.querySelectorAll<HTMLElement>('[data-need]').forEach((el) => (el.hidden = !may(el.dataset.need!)));
  await loadAlarms();
  openStream();
  route();
}

// ---- live events ----

async function loadAlarms(): Promise<void> {
  const r = await api<{ alarms: Alarm[]; lastSeq: number }>('GET', '/alarms');
  alarms.clear();
  for (const a of r.alarms) alarms.set(a.alarmId, a);
  lastSeq = r.lastSeq;
  document.body.dataset.lastSeq = String(lastSeq);
  refreshAlarmViews();
}

function standing(a: Alarm): boolean {
  return a.facts.active || a.state !== 'NORMAL';
}

function openStream(): void {
  stream?.close();
  // EventSource resends the last id it saw as Last-Event-ID when it reconnects: the server replays
  // what was missed from the journal.
  const es = new EventSource(`/api/v1/events?lastEventId=${lastSeq}`);
  stream = es;
  es.addEventListener('alarm', (ev) => {
    const msg = JSON.parse((ev as MessageEvent<string>).data) as { event: JournalEvent; status: Alarm | null };
    const seq = msg.event.seq;
    if (seq <= lastSeq) return;
    if (lastSeq > 0 && seq !== lastSeq + 1) seqGaps++;
    lastSeq = seq;
    document.body.dataset.lastSeq = String(lastSeq);
    document.body.dataset.seqGaps = String(seqGaps);
    if (msg.status && standing(msg.status)) alarms.set(msg.status.alarmId, msg.status);
    else alarms.delete(msg.event.alarmId);
    scheduleRefresh();
  });
  es.addEventListener('reset', () => run(loadAlarms));
  es.addEventListener('open', () => $('#link').classList.remove('down'));
  es.addEventListener('error', () => {
    $('#link').classList.add('down');
    // A closed stream (session ended) is not retried by the browser: check the session and reopen.
    if (es.readyState === EventSource.CLOSED) window.setTimeout(() => void api<Me>('GET', '/auth/me').then(() => openStream()).catch(() => undefined), 2000);
  });
}

let refreshPending = false;
function scheduleRefresh(): void {
  if (refreshPending) return;
  refreshPending = true;
  requestAnimationFrame(() => {
    refreshPending = false;
    refreshAlarmViews();
  });
}

function sounding(): Alarm[] {
  return [...alarms.values()].filter((a) => UNACKED.has(a.state) && !a.silenced);
}

function refreshAlarmViews(): void {
  const list = [...alarms.values()];
  const unacked = list.filter((a) => UNACKED.has(a.state)).length;
  $('#badge').textContent = unacked ? String(unacked) : '';
  document.title = unacked ? `(${unacked}) 报警控制台` : '报警控制台';
  horn.set(sounding().length > 0);
  $('#silence').classList.toggle('attention', sounding().length > 0);
  const view = location.hash.split('/')[1] ?? 'alarms';
  if (view === 'alarms' || view === '') renderAlarmTable();
  if (view === 'alarm') {
    const id = decodeURIComponent(location.hash.split('/').slice(2).join('/'));
    const a = alarms.get(id);
    if (a) renderDetailStatus(a);
  }
}

// ---- alarm summary ----

const filters = { severity: '', area: '', state: '', text: '' };

function renderAlarmsPage(): void {
  main().innerHTML = `
    <section class="summary">
      <div id="counts" class="counts"></div>
      <div class="filters">
        <select id="f-sev" aria-label="级别"><option value="">全部级别</option>${[4, 3, 2, 1].map((s) => `<option value="${s}">${SEVERITY[s]!.zh}</option>`).join('')}</select>
        <select id="f-area" aria-label="区域"><option value="">全部区域</option></select>
        <select id="f-state" aria-label="状态"><option value="">全部状态</option>${Object.entries(STATE_ZH).filter(([k]) => k !== 'NORMAL').map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select>
        <input id="f-text" type="search" placeholder="搜索 测点/设备/报警内容" value="${esc(filters.text)}">
      </div>
      <div class="bulk">
        <label class="check-all"><input type="checkbox" id="all"> 全选</label>
        <button id="ack" class="primary" data-need="alarm.acknowledge">确认所选</button>
        <button id="shelve" data-need="alarm.shelve">搁置…</button>
        <button id="assign" data-need="alarm.assign">我来处理</button>
        <button id="comment" data-need="alarm.comment">备注…</button>
        <span id="selcount" class="muted"></span>
      </div>
      <table class="alarms"><thead><tr><th></th><th>级别</th><th>时间</th><th class="wide">区域</th><th>测点 / 设备</th><th>报警内容</th><th class="wide">当前值 / 限值</th><th>状态</th><th class="wide">处理人</th></tr></thead><tbody id="rows"></tbody></table>
    </section>`;
  for (const [id, key] of [['#f-sev', 'severity'], ['#f-area', 'area'], ['#f-state', 'state']] as const) {
    const el = $<HTMLSelectElement>(id);
    el.addEventListener('change', () => {
      filters[key] = el.value;
      renderAlarmTable();
    });
  }
  $<HTMLInputElement>('#f-text').addEventListener('input', (e) => {
    filters.text = (e.target as HTMLInputElement).value;
    renderAlarmTable();
  });
  $<HTMLInputElement>('#all').addEventListener('change', (e) => {
    const on = (e.target as HTMLInputElement).checked;
    for (const a of visibleAlarms()) {
      if (on) selected.add(a.alarmId);
      else selected.delete(a.alarmId);
    }
    renderAlarmTable();
  });
  $('#ack').addEventListener('click', () => {
    if (!selected.size) return toast('请先勾选报警', true);
    run(async () => {
      await api('POST', '/alarms/acknowledge', { alarmIds: [...selected] });
      selected.clear();
    }, '已确认');
  });
  $('#shelve').addEventListener('click', () => (selected.size ? shelveDialog([...selected]) : toast('请先勾选报警', true)));
  $('#assign').addEventListener('click', () => {
    if (!selected.size) return toast('请先勾选报警', true);
    run(() => Promise.all([...selected].map((id) => api('POST', `/alarms/${encodeURIComponent(id)}/assign`, {}))), '已标记为由你处理');
  });
  $('#comment').addEventListener('click', () => (selected.size ? commentDialog([...selected]) : toast('请先勾选报警', true)));
  document.querySelectorAll<HTMLElement>('[data-need]').forEach((el) => (el.hidden = !may(el.dataset.need!)));
  renderAlarmTable();
}

function visibleAlarms(): Alarm[] {
  const text = filters.text.trim().toLowerCase();
  return [...alarms.values()]
    .filter(
      (a) =>
        (!filters.severity || a.severity === Number(filters.severity)) &&
        (!filters.area || a.area === filters.area) &&
        (!filters.state || a.state === filters.state) &&
        (!text || `${a.message} ${a.alarmId} ${a.pointName} ${a.equipment ?? ''}`.toLowerCase().includes(text)),
    )
    .sort((a, b) => b.severity - a.severity || b.ts - a.ts);
}

function stateBadges(a: Alarm): string {
  const extra: string[] = [];
  if (a.shelvedUntil) extra.push(`至 ${time(a.shelvedUntil).slice(11, 16)}`);
  if (a.silenced && UNACKED.has(a.state)) extra.push('已消音');
  if (a.facts.active && (a.state === 'SHELVED' || a.state === 'SUPPRESSED' || a.state === 'OUT_OF_SERVICE')) extra.push('条件仍存在');
  return `<span class="state st-${a.state}">${STATE_ZH[a.state] ?? a.state}</span>${extra.map((x) => `<span class="tag">${esc(x)}</span>`).join('')}`;
}

function renderAlarmTable(): void {
  const rows = $('#rows');
  if (!rows) return;
  const all = [...alarms.values()];
  const bySev: Record<number, number> = { 4: 0, 3: 0, 2: 0, 1: 0 };
  const byArea = new Map<string, number>();
  for (const a of all) {
    bySev[a.severity] = (bySev[a.severity] ?? 0) + 1;
    byArea.set(a.area, (byArea.get(a.area) ?? 0) + 1);
  }
  const unacked = all.filter((a) => UNACKED.has(a.state)).length;
  $('#counts').innerHTML =
    [4, 3, 2, 1].map((s) => `<button class="count ${SEVERITY[s]!.cls}" data-sev="${s}"><b>${bySev[s]}</b> ${SEVERITY[s]!.zh}</button>`).join('') +
    `<span class="count total"><b>${all.length}</b> 报警 · <b>${unacked}</b> 未确认</span>` +
    `<span class="areas">${[...byArea].sort().map(([area, n]) => `<button class="area-chip" data-area="${esc(area)}">${esc(area)} <b>${n}</b></button>`).join('')}</span>`;
  $('#counts').querySelectorAll<HTMLElement>('[data-sev]').forEach((b) =>
    b.addEventListener('click', () => {
      filters.severity = filters.severity === b.dataset.sev ? '' : b.dataset.sev!;
      $<HTMLSelectElement>('#f-sev').value = filters.severity;
      renderAlarmTable();
    }),
  );
  $('#counts').querySelectorAll<HTMLElement>('[data-area]').forEach((b) =>
    b.addEventListener('click', () => {
      filters.area = filters.area === b.dataset.area ? '' : b.dataset.area!;
      $<HTMLSelectElement>('#f-area').value = filters.area;
      renderAlarmTable();
    }),
  );
  const areaSel = $<HTMLSelectElement>('#f-area');
  const areas = [...byArea.keys()].sort();
  if (areaSel.options.length !== areas.length + 1) {
    areaSel.innerHTML = `<option value="">全部区域</option>${areas.map((a) => `<option>${esc(a)}</option>`).join('')}`;
    areaSel.value = filters.area;
  }
  const list = visibleAlarms();
  for (const id of [...selected]) if (!alarms.has(id)) selected.delete(id);
  rows.innerHTML = list.length
    ? list
        .map(
          (a) => `<tr class="${SEVERITY[a.severity]!.cls} ${UNACKED.has(a.state) ? 'unack' : ''} ${a.facts.active ? '' : 'cleared'}" data-id="${esc(a.alarmId)}">
      <td><input type="checkbox" class="sel" ${selected.has(a.alarmId) ? 'checked' : ''} aria-label="选择"></td>
      <td><span class="sev ${SEVERITY[a.severity]!.cls}">${SEVERITY[a.severity]!.zh}</span></td>
      <td class="time">${time(a.activeSince ?? a.ts)}</td>
      <td class="wide">${esc(a.area)}</td>
      <td><a href="#/alarm/${encodeURIComponent(a.alarmId)}">${esc(a.pointName)}</a><div class="muted">${esc(a.equipment ?? '')} · ${esc(a.condition)}</div></td>
      <td class="msg">${esc(a.message)}${a.basis ? `<div class="muted basis">依据: ${esc(a.basis)}</div>` : ''}</td>
      <td class="wide num">${value(a.value, a.unit)}${a.limit !== undefined ? ` / ${a.limit}` : ''}</td>
      <td>${stateBadges(a)}</td>
      <td class="wide">${esc(a.assignedTo ?? '')}</td></tr>`,
        )
        .join('')
    : `<tr><td colspan="9" class="empty">当前无报警</td></tr>`;
  rows.querySelectorAll<HTMLInputElement>('.sel').forEach((cb) =>
    cb.addEventListener('change', () => {
      const id = cb.closest('tr')!.dataset.id!;
      if (cb.checked) selected.add(id);
      else selected.delete(id);
      $('#selcount').textContent = selected.size ? `已选 ${selected.size} 条` : '';
    }),
  );
  $('#selcount').textContent = selected.size ? `已选 ${selected.size} 条` : '';
}

// ---- dialogs ----

function dialog(title: string, body: string, onOk: (form: FormData) => Promise<unknown>): void {
  const d = $<HTMLDialogElement>('#dialog');
  d.innerHTML = `<form method="dialog" class="dlg"><h2>${esc(title)}</h2>${body}<p class="error"></p><div class="buttons"><button value="cancel" formnovalidate>取消</button><button value="ok" class="primary">确定</button></div></form>`;
  const form = $<HTMLFormElement>('form', d);
  form.addEventListener('submit', (ev) => {
    const submitter = (ev).submitter as HTMLButtonElement | null;
    if (submitter?.value !== 'ok') return;
    ev.preventDefault();
    onOk(new FormData(form))
      .then(() => d.close())
      .catch((err: Error) => ($('.error', d).textContent = err.message));
  });
  d.showModal();
}

function shelveDialog(ids: string[]): void {
  const opts = me!.shelveDurationsMs
    .filter((ms) => ms <= me!.operatorMaxShelveMs || may('alarm.shelve.extended'))
    .map((ms) => `<option value="${ms}">${duration(ms)}</option>`)
    .join('');
  dialog(`搁置 ${ids.length} 条报警`, `<label>时长<select name="d">${opts}</select></label><label>原因（必填）<textarea name="reason" required maxlength="1000" rows="3"></textarea></label>`, async (f) => {
    for (const id of ids) await api('POST', `/alarms/${encodeURIComponent(id)}/shelve`, { durationMs: Number(formText(f, 'd')), reason: formText(f, 'reason') });
    selected.clear();
    toast('已搁置');
  });
}

function commentDialog(ids: string[]): void {
  dialog(`备注（${ids.length} 条报警）`, `<label>备注<textarea name="c" required maxlength="2000" rows="4"></textarea></label>`, async (f) => {
    for (const id of ids) await api('POST', `/alarms/${encodeURIComponent(id)}/comment`, { comment: formText(f, 'c') });
    toast('备注已保存');
  });
}

function reasonDialog(title: string, path: string, required: boolean): void {
  dialog(title, `<label>原因${required ? '（必填）' : ''}<textarea name="r" ${required ? 'required' : ''} maxlength="1000" rows="3"></textarea></label>`, async (f) => {
    const r = formText(f, 'r').trim();
    await api('POST', path, r ? { reason: r } : {});
  });
}

// ---- alarm detail ----

async function renderDetail(id: string): Promise<void> {
  main().innerHTML = `<section class="detail"><a href="#/alarms" class="back">← 返回报警一览</a><div id="d-status"></div><div class="actions" id="d-actions"></div><div id="d-hazards"></div><h3>趋势</h3><div id="d-trend" class="trend">加载中…</div><h3>状态变化与备注</h3><div id="d-history"></div></section>`;
  const r = await api<{ alarm: Alarm; events: JournalEvent[] }>('GET', `/alarms/${encodeURIComponent(id)}`);
  renderDetailStatus(alarms.get(id) ?? r.alarm);
  $('#d-history').innerHTML = eventTable(r.events, false);
  if (may('hazard.read')) hazardLinks(id, $('#d-hazards'));
  const a = r.alarm;
  // Context around the alarm: from 10 minutes before it began (at least the last 10 minutes) to now.
  const to = Date.now();
  const centre = a.activeSince ?? a.ts ?? to;
  const from = Math.min(centre - 10 * 60_000, to - 10 * 60_000);
  const t = await api<{ samples: { ts: number; value: number | null }[]; limits: { condition: string; limit: number; severity: number }[]; point: { unit: string } }>('GET', `/points/${encodeURIComponent(a.point)}/trend?from=${from}&to=${to}&maxPoints=600`);
  $('#d-trend').innerHTML = trendSvg(t.samples, { from, to, unit: t.point.unit, mark: a.activeSince, width: $('#d-trend').clientWidth || 800, limits: t.limits.map((l) => ({ label: l.condition, value: l.limit, cls: SEVERITY[l.severity]!.cls })) });
}

/** The actions the user may take on this alarm in its present state. */
function renderDetailActions(a: Alarm): void {
  const box = $('#d-actions');
  if (!box) return;
  const p = encodeURIComponent(a.alarmId);
  const acts: [boolean, string, string, () => void][] = [
    [UNACKED.has(a.state), 'alarm.acknowledge', '确认', () => run(() => api('POST', '/alarms/acknowledge', { alarmIds: [a.alarmId] }), '已确认')],
    [a.assignedTo !== me?.user.name, 'alarm.assign', '我来处理', () => run(() => api('POST', `/alarms/${p}/assign`, {}), '已标记为由你处理')],
    [true, 'alarm.comment', '备注…', () => commentDialog([a.alarmId])],
    [!a.facts.shelved && !a.facts.outOfService, 'alarm.shelve', '搁置…', () => shelveDialog([a.alarmId])],
    [a.facts.shelved, 'alarm.unshelve', '取消搁置…', () => reasonDialog('取消搁置', `/alarms/${p}/unshelve`, false)],
    [!a.facts.outOfService, 'alarm.outOfService', '停用…', () => reasonDialog('停用报警', `/alarms/${p}/out-of-service`, true)],
    [a.facts.outOfService, 'alarm.outOfService', '恢复投用…', () => reasonDialog('恢复投用', `/alarms/${p}/return-to-service`, false)],
  ];
  box.replaceChildren();
  for (const [applies, need, label, fn] of acts) {
    if (!applies || !may(need)) continue;
    const b = document.createElement('button');
    b.textContent = label;
    if (label === '确认') b.className = 'primary';
    b.addEventListener('click', fn);
    box.append(b);
  }
}

function renderDetailStatus(a: Alarm): void {
  const box = $('#d-status');
  if (!box) return;
  renderDetailActions(a);
  box.innerHTML = `<h2 class="${SEVERITY[a.severity]!.cls}"><span class="sev ${SEVERITY[a.severity]!.cls}">${SEVERITY[a.severity]!.zh}</span> ${esc(a.message)}</h2>
    <dl class="facts">
      <dt>状态</dt><dd>${stateBadges(a)}</dd>
      <dt>测点</dt><dd>${esc(a.pointName)} <span class="muted">${esc(a.point)}</span></dd>
      <dt>设备</dt><dd>${esc(a.equipment ?? '—')}</dd>
      <dt>区域</dt><dd>${esc(a.area)}</dd>
      <dt>报警条件</dt><dd>${esc(a.condition)}</dd>
      <dt>依据</dt><dd class="basis">${esc(a.basis ?? '—')}</dd>
      <dt>当前值</dt><dd class="num">${value(a.value, a.unit)}</dd>
      <dt>限值</dt><dd class="num">${a.limit ?? '—'}</dd>
      <dt>报警开始</dt><dd>${time(a.activeSince)}</dd>
      <dt>处理人</dt><dd>${esc(a.assignedTo ?? '—')}</dd>
      ${a.shelvedUntil ? `<dt>搁置至</dt><dd>${time(a.shelvedUntil)}（${esc(a.shelvedBy ?? '')}）</dd>` : ''}
    </dl>`;
}

// ---- journal ----

function eventTable(events: JournalEvent[], withAlarm: boolean): string {
  if (!events.length) return `<div class="empty">无记录</div>`;
  return `<table class="events"><thead><tr><th>序号</th><th>时间</th><th>类型</th>${withAlarm ? '<th>报警</th>' : ''}<th>状态</th><th class="wide">值</th><th>用户</th><th>内容 / 备注</th></tr></thead><tbody>${events
    .map(
      (e) =>
        `<tr><td class="num">${e.seq}</td><td class="time">${time(e.ts)}</td><td>${KIND_ZH[e.kind ?? ''] ?? esc(e.kind ?? '')}</td>${withAlarm ? `<td><a href="#/alarm/${encodeURIComponent(e.alarmId)}">${esc(e.alarmId)}</a></td>` : ''}<td><span class="state st-${e.state}">${STATE_ZH[e.state] ?? e.state}</span></td><td class="wide num">${value(e.value, e.unit)}</td><td>${esc(e.user ?? '')}</td><td>${esc(e.comment ?? e.message)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function renderJournal(): void {
  const now = new Date();
  const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  main().innerHTML = `<section><h2>报警日志</h2>
    <form id="jf" class="filters">
      <label>从<input type="datetime-local" name="from" value="${local(new Date(now.getTime() - 86_400_000))}"></label>
      <label>到<input type="datetime-local" name="to"></label>
      <input name="alarmId" placeholder="报警编号">
      <input name="point" placeholder="测点编号">
      <input name="user" placeholder="用户">
      <select name="kind"><option value="">全部类型</option>${Object.entries(KIND_ZH).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select>
      <button class="primary">查询</button>
      <a id="csv" class="button" href="#">导出 CSV</a>
    </form>
    <div id="jr"></div><button id="more" hidden>加载更多</button></section>`;
  let next: number | null = null;
  const query = () => {
    const f = new FormData($<HTMLFormElement>('#jf'));
    const q = new URLSearchParams();
    for (const k of ['alarmId', 'point', 'user', 'kind']) {
      const v = formText(f, k).trim();
      if (v) q.set(k, v);
    }
    for (const k of ['from', 'to']) {
      const v = formText(f, k);
      if (v) q.set(k, String(new Date(v).getTime()));
    }
    return q;
  };
  let shown: JournalEvent[] = [];
  const load = async (more: boolean) => {
    const q = query();
    q.set('limit', '100');
    if (more && next) q.set('before', String(next));
    const r = await api<{ events: JournalEvent[]; next: number | null }>('GET', `/journal?${q}`);
    shown = more ? shown.concat(r.events) : r.events;
    next = r.next;
    $('#jr').innerHTML = eventTable(shown, true);
    $('#more').hidden = next === null;
    $<HTMLAnchorElement>('#csv').href = `/api/v1/journal.csv?${query()}`;
  };
  $('#jf').addEventListener('submit', (e) => {
    e.preventDefault();
    run(() => load(false));
  });
  $('#more').addEventListener('click', () => run(() => load(true)));
  run(() => load(false));
}

// ---- KPI ----

interface Kpis {
  from: number;
  to: number;
  total: {
    annunciated: number;
    alarmsActivated: number;
    rates: Record<string, { average: number; peak: number; rating: string }>;
    flood: { periods: { start: number; end: number; count: number; peak: number }[]; percentTimeInFlood: number };
    chattering: { alarmId: string; maxIn60s: number; activations: number }[];
    stale: { alarmId: string; durationMs: number }[];
    badActors: { alarmId: string; count: number; sharePercent: number }[];
    top10SharePercent: number;
    priority: { bySeverity: Record<string, { count: number; percent: number }>; byClass: Record<string, { count: number; percent: number; targetPercent: number }> };
    timeToAck: { count: number; medianMs: number | null; p90Ms: number | null; maxMs: number | null; unacknowledged: number };
  };
  areas: { area: string; annunciated: number }[];
}

const RATING_ZH: Record<string, string> = { acceptable: '可接受', manageable: '可管理', 'over-demanding': '负荷过重', unacceptable: '不可接受' };

function renderKpi(): void {
  main().innerHTML = `<section><h2>报警系统绩效（ISA-18.2 / EEMUA 191）</h2>
    <div class="filters"><select id="period"><option value="86400000">最近 24 小时</option><option value="604800000">最近 7 天</option><option value="2592000000">最近 30 天</option></select></div>
    <div id="kpi">加载中…</div></section>`;
  const load = async () => {
    const span = Number($<HTMLSelectElement>('#period').value);
    const to = Date.now();
    const k = await api<Kpis>('GET', `/kpi?from=${to - span}&to=${to}`);
    const t = k.total;
    const rate = (key: string, label: string) => {
      const r = t.rates[key]!;
      return `<div class="card rating-${r.rating}"><div class="big">${r.average.toFixed(2)}</div><div>${label}平均报警数</div><div class="muted">峰值 ${r.peak} · ${RATING_ZH[r.rating] ?? r.rating}</div></div>`;
    };
    $('#kpi').innerHTML = `
      <div class="cards">
        <div class="card"><div class="big">${t.annunciated}</div><div>报警次数</div><div class="muted">${t.alarmsActivated} 个报警点</div></div>
        ${rate('per10min', '每 10 分钟')}${rate('perHour', '每小时')}${rate('perDay', '每天')}
        <div class="card"><div class="big">${t.flood.percentTimeInFlood.toFixed(1)}%</div><div>报警泛滥时间占比</div><div class="muted">${t.flood.periods.length} 次泛滥</div></div>
        <div class="card"><div class="big">${duration(t.timeToAck.medianMs)}</div><div>确认时间中位数</div><div class="muted">P90 ${duration(t.timeToAck.p90Ms)} · 未确认 ${t.timeToAck.unacknowledged}</div></div>
      </div>
      <div class="grid2">
        <div><h3>优先级分布（目标 低80% / 中15% / 高5%）</h3>${barsSvg(['high', 'medium', 'low'].map((c) => ({ label: ({ high: '高（重大）', medium: '中（较大）', low: '低（一般/低）' } as Record<string, string>)[c]!, value: t.priority.byClass[c]?.count ?? 0, cls: ({ high: 'sev4', medium: 'sev3', low: 'sev2' } as Record<string, string>)[c]!, note: `${(t.priority.byClass[c]?.percent ?? 0).toFixed(0)}%（目标 ${t.priority.byClass[c]?.targetPercent ?? 0}%）` })))}</div>
        <div><h3>频繁报警 Top 10（占 ${t.top10SharePercent.toFixed(0)}%）</h3>${barsSvg(t.badActors.slice(0, 10).map((b) => ({ label: b.alarmId, value: b.count })))}</div>
        <div><h3>颤振报警（60 秒内 ≥3 次）</h3>${barsSvg(t.chattering.slice(0, 10).map((c) => ({ label: c.alarmId, value: c.maxIn60s, cls: 'sev3' })))}</div>
        <div><h3>陈旧报警（持续 >24 小时）</h3>${t.stale.length ? `<table><tbody>${t.stale.map((s) => `<tr><td>${esc(s.alarmId)}</td><td>${duration(s.durationMs)}</td></tr>`).join('')}</tbody></table>` : '<div class="empty">无</div>'}</div>
        <div><h3>各区域报警次数</h3>${barsSvg(k.areas.map((a) => ({ label: a.area, value: a.annunciated })))}</div>
        <div><h3>报警泛滥时段</h3>${t.flood.periods.length ? `<table><tbody>${t.flood.periods.map((f) => `<tr><td>${time(f.start)}</td><td>${duration(f.end - f.start)}</td><td>${f.count} 次</td></tr>`).join('')}</tbody></table>` : '<div class="empty">无</div>'}</div>
      </div>`;
  };
  $('#period').addEventListener('change', () => run(load));
  run(load);
}

// ---- points ----

interface PointRow {
  id: string;
  name: string;
  unit: string;
  equipment: string | null;
  area: string;
  value: number | boolean | null;
  quality: string | null;
  qualityClass: string;
  ts: number | null;
}

function renderPoints(): void {
  main().innerHTML = `<section><h2>测点实时值</h2>
    <div class="filters"><input id="p-text" type="search" placeholder="搜索 测点/设备"><select id="p-q"><option value="">全部质量</option>${Object.entries(QUALITY_ZH).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select></div>
    <table class="points"><thead><tr><th>区域</th><th>测点</th><th class="wide">设备</th><th>当前值</th><th>质量</th><th class="wide">时间</th></tr></thead><tbody id="prows"></tbody></table>
    <div id="p-trend"></div></section>`;
  const load = async () => {
    const q = new URLSearchParams();
    const text = $<HTMLInputElement>('#p-text')?.value.trim();
    const qual = $<HTMLSelectElement>('#p-q')?.value;
    if (text) q.set('text', text);
    if (qual) q.set('quality', qual);
    const r = await api<{ points: PointRow[] }>('GET', `/points?${q}`);
    const body = $('#prows');
    if (!body) return;
    body.innerHTML = r.points
      .map((p) => `<tr data-id="${esc(p.id)}"><td>${esc(p.area)}</td><td><a href="#/points" data-trend="${esc(p.id)}">${esc(p.name)}</a><div class="muted">${esc(p.id)}</div></td><td class="wide">${esc(p.equipment ?? '')}</td><td class="num">${value(p.value, p.unit)}</td><td><span class="q q-${p.qualityClass}">${QUALITY_ZH[p.qualityClass]}</span> <span class="muted">${esc(p.quality && p.qualityClass !== 'good' ? p.quality : '')}</span></td><td class="wide time">${time(p.ts)}</td></tr>`)
      .join('');
    body.querySelectorAll<HTMLElement>('[data-trend]').forEach((a) =>
      a.addEventListener('click', (e) => {
        e.preventDefault();
        run(() => showPointTrend(a.dataset.trend!));
      }),
    );
  };
  $('#p-text').addEventListener('input', () => run(load));
  $('#p-q').addEventListener('change', () => run(load));
  run(load);
  pointsTimer = window.setInterval(() => void load().catch(() => undefined), 2000);
}

async function showPointTrend(id: string): Promise<void> {
  const to = Date.now();
  const from = to - 3_600_000;
  const t = await api<{ point: { name: string; unit: string }; samples: { ts: number; value: number | null }[]; limits: { condition: string; limit: number; severity: number }[] }>('GET', `/points/${encodeURIComponent(id)}/trend?from=${from}&to=${to}&maxPoints=600`);
  $('#p-trend').innerHTML = `<h3>${esc(t.point.name)} 最近 1 小时</h3>${trendSvg(t.samples, { from, to, unit: t.point.unit, width: $('#p-trend').clientWidth || 800, limits: t.limits.map((l) => ({ label: l.condition, value: l.limit, cls: SEVERITY[l.severity]!.cls })) })}`;
}

// ---- audit ----

function renderAudit(): void {
  main().innerHTML = `<section><h2>审计日志</h2><h3>报警操作</h3><div id="a1">加载中…</div><h3>登录与用户管理</h3><div id="a2"></div></section>`;
  run(async () => {
    const a = await api<{ entries: { ts: number; user: string; action: string; alarmId: string; reason: string | null; before: string; after: string }[] }>('GET', '/audit?limit=200');
    $('#a1').innerHTML = a.entries.length
      ? `<table><thead><tr><th>时间</th><th>用户</th><th>操作</th><th>报警</th><th>状态变化</th><th>原因 / 备注</th></tr></thead><tbody>${a.entries.map((e) => `<tr><td class="time">${time(e.ts)}</td><td>${esc(e.user)}</td><td>${KIND_ZH[e.action] ?? esc(e.action)}</td><td><a href="#/alarm/${encodeURIComponent(e.alarmId)}">${esc(e.alarmId)}</a></td><td>${STATE_ZH[e.before] ?? e.before} → ${STATE_ZH[e.after] ?? e.after}</td><td>${esc(e.reason ?? '')}</td></tr>`).join('')}</tbody></table>`
      : '<div class="empty">无记录</div>';
    const s = await api<{ entries: { ts: number; user: string; action: string; target: string | null; detail: string | null; address: string | null; ok: boolean }[] }>('GET', '/audit/security?limit=200');
    $('#a2').innerHTML = `<table><thead><tr><th>时间</th><th>用户</th><th>操作</th><th>对象</th><th class="wide">详情</th><th class="wide">地址</th></tr></thead><tbody>${s.entries.map((e) => `<tr class="${e.ok ? '' : 'failed'}"><td class="time">${time(e.ts)}</td><td>${esc(e.user)}</td><td>${esc(e.action)}</td><td>${esc(e.target ?? '')}</td><td class="wide">${esc(e.detail ?? '')}</td><td class="wide">${esc(e.address ?? '')}</td></tr>`).join('')}</tbody></table>`;
  });
}

// ---- routing ----

function route(): void {
  if (!me) return;
  if (pointsTimer !== undefined) window.clearInterval(pointsTimer);
  pointsTimer = undefined;
  const [, view = 'alarms', ...rest] = location.hash.split('/');
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', (a as HTMLAnchorElement).hash === `#/${view}` || (view === 'alarm' && (a as HTMLAnchorElement).hash === '#/alarms') || (view.startsWith('hazard') && (a as HTMLAnchorElement).hash === '#/hazards')));
  switch (view) {
    case 'alarm':
      run(() => renderDetail(decodeURIComponent(rest.join('/'))));
      break;
    case 'journal':
      renderJournal();
      break;
    case 'kpi':
      renderKpi();
      break;
    case 'points':
      renderPoints();
      break;
    case 'audit':
      renderAudit();
      break;
    case 'hazards':
    case 'hazard':
      renderHazards(view, rest, { main, me: () => me, may, run, dialog });
      break;
    default:
      renderAlarmsPage();
  }
}

window.addEventListener('hashchange', route);
$('#sound').addEventListener('click', () => {
  horn.enable();
  $('#sound').hidden = true;
  horn.set(sounding().length > 0);
});
$('#silence').addEventListener('click', () => run(() => api('POST', '/alarms/silence', {}), '已消音（报警仍需确认）'));
$('#logout').addEventListener('click', () => {
  // Back to the login form even if the server could not be told (the session then just expires).
  api('POST', '/auth/logout', {})
    .catch((err: unknown) => console.warn('logout failed', err))
    .finally(() => showLogin('已退出'));
});

api<Me>('GET', '/auth/me')
  .then((m) => start(m))
  .catch(() => showLogin());
