import { esc, time } from './format.js';

export interface Series {
  ts: number;
  value: number | null;
}

/** A small SVG line chart for trends: value over time, horizontal limit lines, a marker time. */
export function trendSvg(samples: readonly Series[], opts: { from: number; to: number; unit: string; limits?: { label: string; value: number; cls: string }[]; mark?: number; width?: number; height?: number }): string {
  const W = opts.width ?? 800;
  const H = opts.height ?? 260;
  const L = 56;
  const R = 12;
  const T = 12;
  const B = 28;
  const vals = samples.map((s) => s.value).filter((v): v is number => v !== null);
  const lims = (opts.limits ?? []).map((l) => l.value);
  if (vals.length === 0) return `<div class="empty">该时段无历史数据</div>`;
  let lo = Math.min(...vals, ...lims);
  let hi = Math.max(...vals, ...lims);
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (ts: number) => L + ((ts - opts.from) / (opts.to - opts.from)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  let d = '';
  let pen = false;
  for (const s of samples) {
    if (s.value === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x(s.ts).toFixed(1)},${y(s.value).toFixed(1)}`;
    pen = true;
  }
  const ticks = 5;
  let grid = '';
  for (let i = 0; i <= ticks; i++) {
    const v = lo + ((hi - lo) * i) / ticks;
    grid += `<line class="grid" x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}"/><text class="axis" x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(Math.abs(hi - lo) < 10 ? 1 : 0)}</text>`;
  }
  for (let i = 0; i <= 4; i++) {
    const ts = opts.from + ((opts.to - opts.from) * i) / 4;
    grid += `<text class="axis" x="${x(ts)}" y="${H - 8}" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${time(ts).slice(11, 16)}</text>`;
  }
  const limits = (opts.limits ?? []).map((l) => `<line class="limit ${l.cls}" x1="${L}" x2="${W - R}" y1="${y(l.value)}" y2="${y(l.value)}"/><text class="limit-label ${l.cls}" x="${W - R - 4}" y="${y(l.value) - 4}" text-anchor="end">${esc(l.label)} ${l.value}</text>`).join('');
  const mark = opts.mark !== undefined && opts.mark >= opts.from && opts.mark <= opts.to ? `<line class="mark" x1="${x(opts.mark)}" x2="${x(opts.mark)}" y1="${T}" y2="${H - B}"/>` : '';
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="趋势图">${grid}${limits}${mark}<path class="line" d="${d}"/><text class="axis" x="4" y="${T + 8}">${esc(opts.unit)}</text></svg>`;
}

/** Horizontal bars: label, value, optional class per bar. */
export function barsSvg(rows: readonly { label: string; value: number; cls?: string; note?: string }[], width = 560): string {
  if (rows.length === 0) return `<div class="empty">无</div>`;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const rowH = 26;
  const L = 180;
  const noteRoom = rows.some((r) => r.note) ? 190 : 60;
  const H = rows.length * rowH + 6;
  const bars = rows
    .map((r, i) => {
      const w = ((width - L - noteRoom) * r.value) / max;
      return `<text class="axis" x="${L - 8}" y="${i * rowH + 18}" text-anchor="end">${esc(r.label.length > 22 ? r.label.slice(0, 21) + '…' : r.label)}</text><rect class="bar ${r.cls ?? ''}" x="${L}" y="${i * rowH + 5}" width="${Math.max(1, w)}" height="${rowH - 10}"/><text class="axis" x="${L + w + 6}" y="${i * rowH + 18}">${r.value}${r.note ? ' ' + esc(r.note) : ''}</text>`;
    })
    .join('');
  return `<svg class="bars" viewBox="0 0 ${width} ${H}" role="img">${bars}</svg>`;
}
