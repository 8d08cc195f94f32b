import { api, upload, type Me } from './api.js';
import { trendSvg } from './chart.js';
import { duration, esc, ROLE_ZH, SEVERITY, STATE_ZH, time } from './format.js';

/**
 * 隐患闭环 pages of the console: my tasks (#/hazards), all open records with filters (#/hazards/all),
 * registration with photos from a phone (#/hazards/new), statistics (#/hazards/stats) and a record's
 * detail with its alarms, trend, photos, history and the step the user may take (#/hazard/<id>).
 * The server checks roles, areas and states again on every step.
 */

export interface HazardPageContext {
  main(): HTMLElement;
  me(): Me | undefined;
  may(action: string): boolean;
  run(fn: () => Promise<unknown>, ok?: string): void;
  dialog(title: string, body: string, onOk: (form: FormData) => Promise<unknown>): void;
}

interface HazardRecord {
  id: string;
  revision: number;
  state: string;
  dangerName: string;
  dangerLevel: 'general' | 'major';
  dangerSrc: string;
  dangerManageType: 'immediate' | 'deadline';
  hazardDangerType?: string;
  dangerDesc: string;
  dangerReason?: string;
  controlMeasures?: string;
  cost?: number;
  area: string;
  equipment?: string;
  point?: string;
  liablePerson?: string;
  liableRole?: string;
  dangerManageDeadline?: number;
  registrant: string;
  registTime: number;
  assessedBy?: string;
  rectification?: string;
  rectifiedBy?: string;
  rectifiedAt?: number;
  checkAcceptPerson?: string;
  checkAcceptTime?: number;
  checkAcceptComment?: string;
  rejectReason?: string;
  rejections: number;
  fiveImplementations?: { responsibility: string; measures: string; funds: string; deadline: number; contingencyPlan: string };
  supervision?: { authority: string; deadline: number };
  alarmIds: string[];
  warningId?: string;
  dispatchRule?: string;
  closureProposal?: { at: number; reason: string };
  escalation?: { stage: number; to: string[]; at: number };
  closedAt?: number;
  overdue: boolean;
  mine: boolean;
}

interface Detail {
  record: HazardRecord;
  alarms: { alarmId: string; pointName?: string; message?: string; severity?: number; state?: string; missing?: boolean }[];
  history: { revision: number; ts: number; user: string; kind: string; kindName: string; beforeState: string | null; afterState: string; comment: string | null }[];
  photos: { id: string; phase: 'before' | 'after'; url: string; uploadedBy: string; ts: number }[];
}

export const HAZARD_STATE_ZH: Record<string, string> = { registered: '已登记', assessed: '已评估', rectifying: '整改中', awaiting_acceptance: '待验收', closed: '已验收销号' };
const LEVEL_ZH: Record<string, string> = { general: '一般隐患', major: '重大隐患' };
const SOURCE_ZH: Record<string, string> = {
  daily: '日常排查',
  comprehensive: '综合性排查',
  specialist: '专业性排查',
  seasonal: '季节性排查',
  holiday: '重点时段及节假日前排查',
  accident_analogy: '事故类比排查',
  resumption: '复产复工前排查',
  expert: '外聘专家诊断式排查',
  measure_failure: '管控措施失效',
  other: '其他',
  monitoring: '监测预警',
};
const MANAGE_ZH: Record<string, string> = { immediate: '即查即改', deadline: '限期整改' };

const filters = { level: '', state: '', area: '', overdue: false };

const levelBadge = (l: string) => `<span class="sev ${l === 'major' ? 'sev4' : 'sev2'}">${LEVEL_ZH[l] ?? esc(l)}</span>`;
const stateBadge = (s: string) => `<span class="hz-state hz-${esc(s)}">${HAZARD_STATE_ZH[s] ?? esc(s)}</span>`;
const liable = (r: HazardRecord) => esc(r.liablePerson ?? (r.liableRole ? ROLE_ZH[r.liableRole] ?? r.liableRole : '—'));

function tabs(active: string, ctx: HazardPageContext): string {
  const t = [
    ['mine', '我的任务', true],
    ['all', '全部未销号', true],
    ['new', '登记隐患', ctx.may('hazard.register')],
    ['stats', '统计', true],
  ] as const;
  return `<div class="hz-tabs">${t
    .filter(([, , ok]) => ok)
    .map(([k, label]) => `<a href="#/hazards/${k}" class="button${k === active ? ' primary' : ''}">${label}</a>`)
    .join('')}</div>`;
}

function table(records: HazardRecord[], empty: string): string {
  if (!records.length) return `<div class="empty">${empty}</div>`;
  return `<table class="hz-list"><thead><tr><th>编号</th><th>隐患名称</th><th>等级</th><th class="wide">区域</th><th>状态</th><th>责任人</th><th>整改期限</th><th class="wide">来源</th></tr></thead><tbody>${records
    .map(
      (r) =>
        `<tr data-id="${esc(r.id)}" class="${r.overdue ? 'overdue' : ''}"><td class="num"><a href="#/hazard/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td class="hz-name"><a href="#/hazard/${encodeURIComponent(r.id)}">${esc(r.dangerName)}</a>${r.closureProposal ? '<span class="tag">建议销号</span>' : ''}${r.escalation ? '<span class="tag bad">已升级</span>' : ''}</td><td>${levelBadge(r.dangerLevel)}</td><td class="wide">${esc(r.area)}</td><td>${stateBadge(r.state)}</td><td>${liable(r)}</td><td class="time">${time(r.dangerManageDeadline)}${r.overdue ? ' <span class="tag bad">逾期</span>' : ''}</td><td class="wide">${SOURCE_ZH[r.dangerSrc] ?? esc(r.dangerSrc)}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

async function renderMine(ctx: HazardPageContext): Promise<void> {
  ctx.main().innerHTML = `<section class="hazards">${tabs('mine', ctx)}<h2>我的任务</h2><p class="muted">需要你评估、整改、验收的隐患，以及逾期升级给你的隐患。</p><div id="hz-rows">加载中…</div></section>`;
  const r = await api<{ records: HazardRecord[] }>('GET', '/hidden-dangers?mine=true');
  document.getElementById('hz-rows')!.innerHTML = table(r.records, '没有待办的隐患');
}

function renderAll(ctx: HazardPageContext): void {
  ctx.main().innerHTML = `<section class="hazards">${tabs('all', ctx)}
    <div class="filters">
      <select id="hz-level" aria-label="等级"><option value="">全部等级</option><option value="general">一般隐患</option><option value="major">重大隐患</option></select>
      <select id="hz-state" aria-label="状态"><option value="">全部状态</option>${Object.entries(HAZARD_STATE_ZH).map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select>
      <input id="hz-area" placeholder="区域" value="${esc(filters.area)}" maxlength="100">
      <label><input type="checkbox" id="hz-overdue" ${filters.overdue ? 'checked' : ''}> 仅逾期</label>
    </div><div id="hz-rows">加载中…</div></section>`;
  const sel = (id: string) => document.getElementById(id) as HTMLSelectElement;
  sel('hz-level').value = filters.level;
  sel('hz-state').value = filters.state;
  const load = () => {
    const q = new URLSearchParams();
    if (filters.level) q.set('level', filters.level);
    if (filters.state) q.set('state', filters.state);
    if (filters.area) q.set('area', filters.area);
    if (filters.overdue) q.set('overdue', 'true');
    ctx.run(async () => {
      const r = await api<{ records: HazardRecord[] }>('GET', `/hidden-dangers?${q.toString()}`);
      document.getElementById('hz-rows')!.innerHTML = table(r.records, '没有符合条件的隐患');
    });
  };
  sel('hz-level').addEventListener('change', (e) => ((filters.level = (e.target as HTMLSelectElement).value), load()));
  sel('hz-state').addEventListener('change', (e) => ((filters.state = (e.target as HTMLSelectElement).value), load()));
  document.getElementById('hz-area')!.addEventListener('change', (e) => ((filters.area = (e.target as HTMLInputElement).value.trim()), load()));
  document.getElementById('hz-overdue')!.addEventListener('change', (e) => ((filters.overdue = (e.target as HTMLInputElement).checked), load()));
  load();
}

function text(f: FormData, name: string): string {
  const v = f.get(name);
  return typeof v === 'string' ? v.trim() : '';
}

/** Photos chosen in a file input (a phone offers its camera), uploaded one by one. */
async function uploadPhotos(id: string, input: HTMLInputElement | null, phase: 'before' | 'after'): Promise<number> {
  let n = 0;
  for (const file of Array.from(input?.files ?? [])) {
    const form = new FormData();
    form.append('photo', file, file.name);
    await upload(`/hidden-dangers/${encodeURIComponent(id)}/photos?phase=${phase}`, form);
    n++;
  }
  return n;
}

function renderNew(ctx: HazardPageContext): void {
  const areas = (ctx.me()?.user.areas ?? []).filter((a) => a !== '*');
  ctx.main().innerHTML = `<section class="hazards">${tabs('new', ctx)}
    <form id="hz-new" class="hz-form">
      <h2>登记隐患</h2>
      <label>隐患名称<input name="dangerName" required maxlength="200"></label>
      <label>隐患描述<textarea name="dangerDesc" required maxlength="4000" rows="4"></textarea></label>
      <label>区域${areas.length ? `<select name="area">${areas.map((a) => `<option>${esc(a)}</option>`).join('')}</select>` : '<input name="area" required maxlength="100">'}</label>
      <label>设备 / 部位<input name="equipment" maxlength="200"></label>
      <label>隐患等级<select name="dangerLevel"><option value="general">一般隐患</option><option value="major">重大隐患</option></select></label>
      <label>隐患来源<select name="dangerSrc">${Object.entries(SOURCE_ZH).filter(([k]) => k !== 'monitoring').map(([k, v]) => `<option value="${k}">${v}</option>`).join('')}</select></label>
      <label>治理类型<select name="dangerManageType"><option value="deadline">限期整改</option><option value="immediate">即查即改</option></select></label>
      <label>现场照片（整改前，JPEG/PNG/WebP）<input name="photos" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" multiple></label>
      <p class="error" id="hz-new-error"></p>
      <button class="primary" type="submit">提交登记</button>
    </form></section>`;
  const form = document.getElementById('hz-new') as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { dangerName: text(f, 'dangerName'), dangerDesc: text(f, 'dangerDesc'), area: text(f, 'area'), dangerLevel: text(f, 'dangerLevel'), dangerSrc: text(f, 'dangerSrc'), dangerManageType: text(f, 'dangerManageType'), ...(text(f, 'equipment') ? { equipment: text(f, 'equipment') } : {}) };
    ctx.run(async () => {
      try {
        const r = await api<{ record: HazardRecord }>('POST', '/hidden-dangers', body);
        await uploadPhotos(r.record.id, form.querySelector<HTMLInputElement>('input[name=photos]'), 'before');
        location.hash = `#/hazard/${encodeURIComponent(r.record.id)}`;
      } catch (err) {
        document.getElementById('hz-new-error')!.textContent = (err as Error).message;
        throw err;
      }
    }, '已登记');
  });
}

async function renderStats(ctx: HazardPageContext): Promise<void> {
  ctx.main().innerHTML = `<section class="hazards">${tabs('stats', ctx)}<div id="hz-stats">加载中…</div></section>`;
  type Row = { open: number; overdue: number; closedThisMonth: number };
  const s = await api<{ open: number; overdue: number; closedThisMonth: number; averageHoursToClose: number | null; byLevel: Record<string, Row>; byArea: Record<string, Row> }>('GET', '/hidden-dangers/stats');
  const rows = (m: Record<string, Row>, label: (k: string) => string) =>
    `<table><thead><tr><th></th><th>未销号</th><th>逾期</th><th>本月销号</th></tr></thead><tbody>${Object.entries(m)
      .map(([k, v]) => `<tr><td>${label(k)}</td><td class="num">${v.open}</td><td class="num">${v.overdue}</td><td class="num">${v.closedThisMonth}</td></tr>`)
      .join('')}</tbody></table>`;
  document.getElementById('hz-stats')!.innerHTML = `<div class="cards">
      <div class="card"><div class="muted">未销号</div><div class="big" id="st-open">${s.open}</div></div>
      <div class="card${s.overdue ? ' rating-unacceptable' : ''}"><div class="muted">逾期</div><div class="big" id="st-overdue">${s.overdue}</div></div>
      <div class="card"><div class="muted">本月销号</div><div class="big" id="st-closed">${s.closedThisMonth}</div></div>
      <div class="card"><div class="muted">平均整改用时</div><div class="big">${s.averageHoursToClose === null ? '—' : duration(s.averageHoursToClose * 3_600_000)}</div></div>
    </div>
    <div class="grid2"><div><h3>按等级</h3>${rows(s.byLevel, (k) => LEVEL_ZH[k] ?? esc(k))}</div><div><h3>按区域</h3>${rows(s.byArea, esc)}</div></div>`;
}

/** The steps the user may take on the record now (the server checks again). */
function steps(r: HazardRecord, ctx: HazardPageContext): [string, string, () => void][] {
  const me = ctx.me();
  const p = `/hidden-dangers/${encodeURIComponent(r.id)}`;
  const out: [string, string, () => void][] = [];
  const reload = () => renderDetail(r.id, ctx);
  /** Posts the step and shows the record again. */
  const post = async (path: string, body: unknown) => {
    await api('POST', path, body);
    await reload();
  };
  if (r.state === 'registered' && ctx.may('hazard.assess')) {
    out.push(['assess', '评估…', () => assessDialog(r, ctx, reload)]);
  }
  if (r.state === 'assessed' && ctx.may('hazard.rectify')) {
    out.push(['start', '开始整改', () => ctx.run(() => post(`${p}/start`, {}), '已开始整改')]);
  }
  if (r.state === 'rectifying' && ctx.may('hazard.rectify')) {
    out.push([
      'submit',
      '提交验收…',
      () =>
        ctx.dialog(
          '提交整改，申请验收',
          `<label>整改情况（必填）<textarea name="rectification" required maxlength="4000" rows="4"></textarea></label><label>整改资金（元）<input name="cost" type="number" min="0" step="0.01"></label><label>整改后照片<input name="photos" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" multiple></label>`,
          async (f) => {
            await uploadPhotos(r.id, document.querySelector<HTMLInputElement>('#dialog input[name=photos]'), 'after');
            await post(`${p}/submit`, { rectification: text(f, 'rectification'), ...(text(f, 'cost') ? { cost: Number(text(f, 'cost')) } : {}) });
          },
        ),
    ]);
  }
  if (r.state === 'awaiting_acceptance' && ctx.may('hazard.accept') && r.rectifiedBy !== me?.user.name) {
    out.push(['accept', '验收销号…', () => ctx.dialog('验收销号', `<label>验收意见（必填）<textarea name="comment" required maxlength="2000" rows="3"></textarea></label>`, (f) => post(`${p}/accept`, { comment: text(f, 'comment') }))]);
    out.push(['reject', '验收不通过…', () => ctx.dialog('验收不通过，退回整改', `<label>原因（必填）<textarea name="reason" required maxlength="2000" rows="3"></textarea></label>`, (f) => post(`${p}/reject`, { reason: text(f, 'reason') }))]);
  }
  return out;
}

function assessDialog(r: HazardRecord, ctx: HazardPageContext, done: () => Promise<void>): void {
  const dl = (ts: number | undefined) => (ts ? new Date(ts - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '');
  ctx.dialog(
    `评估隐患 ${r.id}`,
    `<label>隐患等级<select name="dangerLevel" id="as-level"><option value="general"${r.dangerLevel === 'general' ? ' selected' : ''}>一般隐患</option><option value="major"${r.dangerLevel === 'major' ? ' selected' : ''}>重大隐患</option></select></label>
     <label>治理类型<select name="dangerManageType"><option value="deadline">限期整改</option><option value="immediate"${r.dangerManageType === 'immediate' ? ' selected' : ''}>即查即改</option></select></label>
     <label>管控 / 整改措施（必填）<textarea name="controlMeasures" required maxlength="4000" rows="3"></textarea></label>
     <label>隐患原因<textarea name="dangerReason" maxlength="4000" rows="2">${esc(r.dangerReason ?? '')}</textarea></label>
     <label>责任人（用户名，可空：按区域/设备的责任角色）<input name="liablePerson" maxlength="64" value="${esc(r.liablePerson ?? '')}"></label>
     <label>整改期限（空：按等级默认）<input name="deadline" type="datetime-local" value="${dl(r.dangerManageDeadline)}"></label>
     <label>整改资金（元）<input name="cost" type="number" min="0" step="0.01"></label>
     <fieldset id="as-five"><legend>重大隐患五落实</legend>
       <label>责任<input name="f-resp" maxlength="200"></label><label>措施<textarea name="f-meas" maxlength="2000" rows="2"></textarea></label>
       <label>资金<input name="f-funds" maxlength="200"></label><label>时限<input name="f-deadline" type="datetime-local"></label>
       <label>应急预案<textarea name="f-plan" maxlength="2000" rows="2"></textarea></label>
       <label>挂牌督办单位（可空）<input name="s-auth" maxlength="200"></label><label>督办期限<input name="s-deadline" type="datetime-local"></label>
     </fieldset>`,
    async (f) => {
      const t = (n: string) => text(f, n);
      const ms = (n: string) => (t(n) ? new Date(t(n)).getTime() : undefined);
      const major = t('dangerLevel') === 'major';
      const body = {
        dangerLevel: t('dangerLevel'),
        dangerManageType: t('dangerManageType'),
        controlMeasures: t('controlMeasures'),
        ...(t('dangerReason') ? { dangerReason: t('dangerReason') } : {}),
        ...(t('liablePerson') ? { liablePerson: t('liablePerson') } : {}),
        ...(ms('deadline') ? { deadline: ms('deadline') } : {}),
        ...(t('cost') ? { cost: Number(t('cost')) } : {}),
        ...(major ? { fiveImplementations: { responsibility: t('f-resp'), measures: t('f-meas'), funds: t('f-funds'), deadline: ms('f-deadline') ?? ms('deadline') ?? Date.now(), contingencyPlan: t('f-plan') } } : {}),
        ...(major && t('s-auth') ? { supervision: { authority: t('s-auth'), deadline: ms('s-deadline') ?? ms('deadline') ?? Date.now() } } : {}),
      };
      await api('POST', `/hidden-dangers/${encodeURIComponent(r.id)}/assess`, body);
      await done();
    },
  );
  const five = document.getElementById('as-five') as HTMLFieldSetElement;
  const level = document.getElementById('as-level') as HTMLSelectElement;
  const show = () => (five.hidden = level.value !== 'major');
  level.addEventListener('change', show);
  show();
}

export async function renderDetail(id: string, ctx: HazardPageContext): Promise<void> {
  const d = await api<Detail>('GET', `/hidden-dangers/${encodeURIComponent(id)}`);
  const r = d.record;
  const fact = (label: string, v: string | undefined) => (v ? `<dt>${label}</dt><dd>${v}</dd>` : '');
  const photos = (phase: 'before' | 'after') =>
    d.photos
      .filter((p) => p.phase === phase)
      .map((p) => `<a href="${esc(p.url)}" target="_blank" rel="noopener"><img class="hz-photo" src="${esc(p.url)}" alt="${phase === 'before' ? '整改前' : '整改后'}照片" loading="lazy"></a>`)
      .join('') || '<span class="muted">无</span>';
  ctx.main().innerHTML = `<section class="detail hazard">
    <a href="#/hazards/mine" class="back">← 返回隐患</a>
    <h2>${levelBadge(r.dangerLevel)} ${esc(r.dangerName)} ${stateBadge(r.state)}${r.overdue ? ' <span class="tag bad">逾期</span>' : ''}</h2>
    ${r.closureProposal ? `<p class="hz-note ok">建议销号：${esc(r.closureProposal.reason)}（${time(r.closureProposal.at)}）</p>` : ''}
    ${r.escalation && r.state !== 'closed' ? `<p class="hz-note bad">逾期已升级至：${r.escalation.to.map((t) => esc(ROLE_ZH[t] ?? t)).join('、')}（${time(r.escalation.at)}）</p>` : ''}
    ${r.rejectReason && r.state === 'rectifying' ? `<p class="hz-note bad">验收不通过：${esc(r.rejectReason)}</p>` : ''}
    <div class="actions" id="hz-actions"></div>
    <dl class="facts">
      <dt>编号</dt><dd class="num">${esc(r.id)}</dd>
      <dt>状态</dt><dd>${stateBadge(r.state)}</dd>
      <dt>来源</dt><dd>${SOURCE_ZH[r.dangerSrc] ?? esc(r.dangerSrc)}${r.dispatchRule ? `（派单规则 ${esc(r.dispatchRule)}）` : ''}${r.warningId ? `（上级预警 ${esc(r.warningId)}）` : ''}</dd>
      <dt>治理类型</dt><dd>${MANAGE_ZH[r.dangerManageType] ?? ''}</dd>
      <dt>区域</dt><dd>${esc(r.area)}</dd>
      <dt>设备</dt><dd>${esc(r.equipment ?? '—')}</dd>
      <dt>责任人</dt><dd>${liable(r)}</dd>
      <dt>整改期限</dt><dd>${time(r.dangerManageDeadline)}</dd>
      <dt>登记</dt><dd>${esc(r.registrant)} ${time(r.registTime)}</dd>
      ${fact('评估人', r.assessedBy ? esc(r.assessedBy) : undefined)}
      ${fact('整改资金', r.cost !== undefined ? `${r.cost} 元` : undefined)}
      ${fact('验收', r.checkAcceptPerson ? `${esc(r.checkAcceptPerson)} ${time(r.checkAcceptTime)}` : undefined)}
    </dl>
    <h3>隐患描述</h3><p class="hz-text">${esc(r.dangerDesc)}</p>
    ${r.dangerReason ? `<h3>隐患原因</h3><p class="hz-text">${esc(r.dangerReason)}</p>` : ''}
    ${r.controlMeasures ? `<h3>管控 / 整改措施</h3><p class="hz-text">${esc(r.controlMeasures)}</p>` : ''}
    ${r.rectification ? `<h3>整改情况</h3><p class="hz-text">${esc(r.rectification)} <span class="muted">${esc(r.rectifiedBy ?? '')} ${time(r.rectifiedAt)}</span></p>` : ''}
    ${r.checkAcceptComment ? `<h3>验收意见</h3><p class="hz-text">${esc(r.checkAcceptComment)}</p>` : ''}
    ${r.fiveImplementations ? `<h3>五落实</h3><dl class="facts"><dt>责任</dt><dd>${esc(r.fiveImplementations.responsibility)}</dd><dt>措施</dt><dd>${esc(r.fiveImplementations.measures)}</dd><dt>资金</dt><dd>${esc(r.fiveImplementations.funds)}</dd><dt>时限</dt><dd>${time(r.fiveImplementations.deadline)}</dd><dt>预案</dt><dd>${esc(r.fiveImplementations.contingencyPlan)}</dd>${r.supervision ? `<dt>挂牌督办</dt><dd>${esc(r.supervision.authority)}，期限 ${time(r.supervision.deadline)}</dd>` : ''}</dl>` : ''}
    <h3>关联报警</h3>${
      d.alarms.length
        ? `<table><tbody>${d.alarms.map((a) => `<tr><td>${a.severity ? `<span class="sev ${SEVERITY[a.severity]!.cls}">${SEVERITY[a.severity]!.zh}</span>` : ''}</td><td><a href="#/alarm/${encodeURIComponent(a.alarmId)}">${esc(a.pointName ?? a.alarmId)}</a><div class="muted">${esc(a.alarmId)}</div></td><td>${esc(a.message ?? '')}</td><td>${a.state ? esc(STATE_ZH[a.state] ?? a.state) : ''}</td></tr>`).join('')}</tbody></table>`
        : '<p class="muted">无</p>'
    }
    ${r.point ? '<h3>测点趋势（登记前后）</h3><div id="hz-trend" class="trend">加载中…</div>' : ''}
    <h3>照片</h3>
    <div class="hz-photos"><div><div class="muted">整改前</div>${photos('before')}</div><div><div class="muted">整改后</div>${photos('after')}</div></div>
    ${r.state !== 'closed' && (ctx.may('hazard.register') || ctx.may('hazard.rectify')) ? `<form id="hz-photo-form" class="hz-upload"><select name="phase"><option value="before">整改前</option><option value="after"${r.state === 'rectifying' || r.state === 'awaiting_acceptance' ? ' selected' : ''}>整改后</option></select><input name="photos" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" multiple required><button type="submit">上传照片</button></form>` : ''}
    <h3>处理记录</h3>
    <table class="hz-history"><thead><tr><th>时间</th><th>人员</th><th>操作</th><th>状态变化</th><th>说明</th></tr></thead><tbody>${d.history
      .map((h) => `<tr><td class="time">${time(h.ts)}</td><td>${esc(h.user === 'system' ? '系统' : h.user)}</td><td>${esc(h.kindName)}</td><td>${h.beforeState && h.beforeState !== h.afterState ? `${HAZARD_STATE_ZH[h.beforeState]} → ` : ''}${HAZARD_STATE_ZH[h.afterState]}</td><td>${esc(h.comment ?? '')}</td></tr>`)
      .join('')}</tbody></table>
  </section>`;
  const box = document.getElementById('hz-actions')!;
  for (const [kind, label, fn] of steps(r, ctx)) {
    const b = document.createElement('button');
    b.textContent = label;
    b.dataset.step = kind;
    if (kind !== 'reject') b.className = 'primary';
    b.addEventListener('click', fn);
    box.append(b);
  }
  const form = document.getElementById('hz-photo-form') as HTMLFormElement | null;
  form?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const phase = new FormData(form).get('phase') === 'after' ? 'after' : 'before';
    ctx.run(async () => {
      await uploadPhotos(r.id, form.querySelector<HTMLInputElement>('input[name=photos]'), phase);
      await renderDetail(r.id, ctx);
    }, '照片已上传');
  });
  if (r.point) {
    const to = r.closedAt ?? Date.now();
    const from = Math.min(r.registTime - 30 * 60_000, to - 60 * 60_000);
    const t = await api<{ samples: { ts: number; value: number | null }[]; limits: { condition: string; limit: number; severity: number }[]; point: { unit: string } }>('GET', `/points/${encodeURIComponent(r.point)}/trend?from=${from}&to=${to}&maxPoints=600`).catch(() => undefined);
    const el = document.getElementById('hz-trend');
    if (el) el.innerHTML = t ? trendSvg(t.samples, { from, to, unit: t.point.unit, mark: r.registTime, width: el.clientWidth || 800, limits: t.limits.map((l) => ({ label: l.condition, value: l.limit, cls: SEVERITY[l.severity]!.cls })) }) : '<div class="empty">无趋势数据</div>';
  }
}

/** On an alarm's page: the hidden-danger records it opened (nothing when there are none or the request fails). */
export function hazardLinks(alarmId: string, box: HTMLElement): void {
  api<{ records: HazardRecord[] }>('GET', `/hidden-dangers?all=true&alarmId=${encodeURIComponent(alarmId)}`).then(
    (r) => {
      if (!r.records.length) return;
      box.innerHTML = `<h3>隐患</h3><ul class="hz-links">${r.records.map((x) => `<li><a href="#/hazard/${encodeURIComponent(x.id)}">${esc(x.id)} ${esc(x.dangerName)}</a> ${stateBadge(x.state)}</li>`).join('')}</ul>`;
    },
    () => undefined,
  );
}

/** #/hazards/<tab> and #/hazard/<id>. */
export function renderHazards(view: string, rest: string[], ctx: HazardPageContext): void {
  if (view === 'hazard') {
    ctx.run(() => renderDetail(decodeURIComponent(rest.join('/')), ctx));
    return;
  }
  switch (rest[0]) {
    case 'all':
      return renderAll(ctx);
    case 'new':
      return renderNew(ctx);
    case 'stats':
      return ctx.run(() => renderStats(ctx));
    default:
      return ctx.run(() => renderMine(ctx));
  }
}
