/**
 * Counters and gauges, keyed by name plus labels. Every dropped or rejected input is counted here so
 * an operator can see it (the summary line, later the HTTP API and Grafana).
 */
export type Labels = Record<string, string | number>;

function key(name: string, labels?: Labels): string {
  if (!labels) return name;
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${parts.join(',')}}`;
}

export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();

  inc(name: string, labels?: Labels, by = 1): void {
    const k = key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }

  set(name: string, value: number, labels?: Labels): void {
    this.gauges.set(key(name, labels), value);
  }

  counter(name: string, labels?: Labels): number {
    return this.counters.get(key(name, labels)) ?? 0;
  }

  gauge(name: string, labels?: Labels): number | undefined {
    return this.gauges.get(key(name, labels));
  }

  /** Sum of a counter over all label sets. */
  total(name: string): number {
    let sum = 0;
    for (const [k, v] of this.counters) if (k === name || k.startsWith(name + '{')) sum += v;
    return sum;
  }

  snapshot(): { counters: Record<string, number>; gauges: Record<string, number> } {
    return { counters: Object.fromEntries(this.counters), gauges: Object.fromEntries(this.gauges) };
  }
}
