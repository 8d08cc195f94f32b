import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HistogramSeries, Labels, Metrics, Series } from '../../core/metrics.js';

/** The exported name: `gateway_` first; counters end in `_total`. */
export function promName(name: string, type: 'counter' | 'gauge' | 'histogram'): string {
  let n = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (!n.startsWith('gateway_')) n = `gateway_${n}`;
  if (type === 'counter' && !n.endsWith('_total')) n = `${n}_total`;
  return n;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k.replace(/[^a-zA-Z0-9_]/g, '_')}="${escapeLabel(String(labels[k]))}"`);
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function group<T extends { name: string }>(series: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const s of series) {
    const list = m.get(s.name);
    if (list) list.push(s);
    else m.set(s.name, [s]);
  }
  return m;
}

/**
 * Renders the gateway's counters, gauges and histograms, plus Node's process metrics (CPU, memory,
 * event-loop lag, GC) from prom-client, in the Prometheus text format 0.0.4. Runs only on a scrape:
 * nothing here touches the reading or alarm path.
 */
export class PrometheusExporter {
  private readonly processRegistry = new Registry();

  constructor(private readonly metrics: Metrics) {
    collectDefaultMetrics({ register: this.processRegistry, prefix: 'gateway_', eventLoopMonitoringPrecision: 20 });
  }

  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';

  async render(): Promise<string> {
    const { counters, gauges, histograms } = this.metrics.series();
    const out: string[] = [];
    const simple = (type: 'counter' | 'gauge', list: readonly Series[]) => {
      for (const [name, series] of group(list)) {
        const n = promName(name, type);
        out.push(`# HELP ${n} ${this.metrics.helpOf(name) ?? name.replace(/_/g, ' ')}`, `# TYPE ${n} ${type}`);
        for (const s of series) out.push(`${n}${labelText(s.labels)} ${num(s.value)}`);
      }
    };
    simple('counter', counters);
    simple('gauge', gauges);
    for (const [name, series] of group<HistogramSeries>(histograms)) {
      const n = promName(name, 'histogram');
      out.push(`# HELP ${n} ${this.metrics.helpOf(name) ?? name.replace(/_/g, ' ')}`, `# TYPE ${n} histogram`);
      for (const h of series) {
        let cumulative = 0;
        h.bounds.forEach((b, i) => {
          cumulative += h.counts[i]!;
          out.push(`${n}_bucket${labelText(h.labels, ['le', num(b)])} ${cumulative}`);
        });
        out.push(`${n}_bucket${labelText(h.labels, ['le', '+Inf'])} ${h.count}`);
        out.push(`${n}_sum${labelText(h.labels)} ${num(h.sum)}`, `${n}_count${labelText(h.labels)} ${h.count}`);
      }
    }
    return `${out.join('\n')}\n${await this.processRegistry.metrics()}`;
  }
}
