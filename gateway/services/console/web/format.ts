/** Chinese labels and formatting shared by the console's pages. */

export const SEVERITY: Record<number, { zh: string; cls: string }> = {
  4: { zh: '重大', cls: 'sev4' },
  3: { zh: '较大', cls: 'sev3' },
  2: { zh: '一般', cls: 'sev2' },
  1: { zh: '低', cls: 'sev1' },
};

export const STATE_ZH: Record<string, string> = {
  NORMAL: '正常',
  UNACK: '报警未确认',
  ACKED: '报警已确认',
  RTN_UNACK: '已恢复未确认',
  LATCHED_UNACK: '锁存未确认',
  LATCHED_ACKED: '锁存已确认',
  SHELVED: '已搁置',
  SUPPRESSED: '已抑制',
  OUT_OF_SERVICE: '已停用',
};

export const KIND_ZH: Record<string, string> = {
  ALARM: '报警',
  RETURN: '恢复',
  STATE: '状态变化',
  ACK: '确认',
  SHELVE: '搁置',
  UNSHELVE: '取消搁置',
  OUT_OF_SERVICE: '停用',
  IN_SERVICE: '恢复投用',
  COMMENT: '备注',
  ASSIGN: '处理',
  SILENCE: '消音',
};

/** Role names as users see them. */
export const ROLE_ZH: Record<string, string> = { viewer: '查看', operator: '操作员', supervisor: '值班长', engineer: '工程师', admin: '管理员' };

export const QUALITY_ZH: Record<string, string> = { good: '正常', uncertain: '可疑', bad: '坏值', none: '无数据' };

export const UNACKED = new Set(['UNACK', 'RTN_UNACK', 'LATCHED_UNACK']);

const pad = (n: number) => String(n).padStart(2, '0');

/** Local time as the control room reads it: 2026-12-01 14:05:09. */
export function time(ts: number | null | undefined): string {
  if (ts === null || ts === undefined) return '—';
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 60_000) return `${Math.round(ms / 1000)} 秒`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} 分钟`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(ms % 3_600_000 ? 1 : 0)} 小时`;
  return `${(ms / 86_400_000).toFixed(1)} 天`;
}

export function value(v: number | boolean | null | undefined, unit = ''): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? '是' : '否';
  return `${Number.isInteger(v) ? v : v.toFixed(2)}${unit ? ' ' + unit : ''}`;
}

/** Escapes text for innerHTML. */
export function esc(text: unknown): string {
  return asText(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A value as display text: a scalar as written, an error as its message, other objects as JSON (never "[object Object]"). */
function asText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      if (v === null) return '';
      return v instanceof Error ? v.message : JSON.stringify(v);
    default:
      return '';
  }
}
