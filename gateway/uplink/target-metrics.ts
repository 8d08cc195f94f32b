import { Metrics, type HistogramSeries, type Labels, LATENCY_BUCKETS, type Series } from '../core/metrics.js';

/**
 * The gateway's metrics as one of several uplink targets records them: every series gets the
 * label {target}, so two sinks (province, county) keep separate queue depths and failure counts
 * under the same metric names. Reads go to the gateway's metrics too.
 */
export class TargetMetrics extends Metrics {
  constructor(
    private readonly inner: Metrics,
    private readonly target: string,
  ) {
    super();
  }

  private labelled(labels: Labels | undefined): Labels {
    return { ...labels, target: this.target };
  }

  override inc(name: string, labels?: Labels, by = 1): void {
    this.inner.inc(name, this.labelled(labels), by);
  }

  override set(name: string, value: number, labels?: Labels): void {
    this.inner.set(name, value, this.labelled(labels));
  }

  override observe(name: string, value: number, labels?: Labels, bounds: readonly number[] = LATENCY_BUCKETS): void {
    this.inner.observe(name, value, this.labelled(labels), bounds);
  }

  override describe(name: string, help: string): void {
    this.inner.describe(name, help);
  }

  override helpOf(name: string): string | undefined {
    return this.inner.helpOf(name);
  }

  override collect(fn: () => void): () => void {
    return this.inner.collect(fn);
  }

  override counter(name: string, labels?: Labels): number {
    return this.inner.counter(name, this.labelled(labels));
  }

  override gauge(name: string, labels?: Labels): number | undefined {
    return this.inner.gauge(name, this.labelled(labels));
  }

  override histogram(name: string, labels?: Labels): Readonly<HistogramSeries> | undefined {
    return this.inner.histogram(name, this.labelled(labels));
  }

  override total(name: string): number {
    return this.inner.total(name);
  }

  override series(): { counters: Series[]; gauges: Series[]; histograms: HistogramSeries[] } {
    return this.inner.series();
  }

  override snapshot(): { counters: Record<string, number>; gauges: Record<string, number> } {
    return this.inner.snapshot();
  }
}
