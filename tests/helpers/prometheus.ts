import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LoopbackServer, ServerProcess, freePort, tempDir } from './server-process.js';

/**
 * Prometheus (Debian package prometheus, 2.42) on a free loopback port, with the scrape config a
 * test gives and its TSDB in a temp dir. The tests read it through the HTTP API, as Grafana does.
 */
export class PrometheusServer extends LoopbackServer {
  private constructor(port: number, process: ServerProcess) {
    super(port, process);
  }

  /** `config` is the text of prometheus.yml. */
  static async start(config: string): Promise<PrometheusServer> {
    const port = await freePort();
    const dir = tempDir('prometheus-test-');
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, config);
    const proc = new ServerProcess(
      'prometheus',
      '/usr/bin/prometheus',
      [`--config.file=${file}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      async () => (await fetch(`http://127.0.0.1:${port}/-/ready`)).status === 200,
      dir,
    );
    await proc.start();
    return new PrometheusServer(port, proc);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** An instant query through /api/v1/query; a PromQL error comes back as `{ status: 'error' }`, not a throw. */
  async query(expr: string): Promise<PromResponse> {
    const res = await fetch(`${this.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
    return promResponseSchema.parse(await res.json());
  }

  /** The vector an instant query returns; throws with Prometheus's message if the query fails. */
  async vector(expr: string): Promise<PromSample[]> {
    const r = await this.query(expr);
    if (r.status !== 'success') throw new Error(`${expr}: ${r.errorType}: ${r.error}`);
    if (r.data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${r.data.resultType}`);
    return r.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  }

  /** What Grafana's `label_values(<selector>, <label>)` lists: /api/v1/label/<label>/values?match[]=<selector>. */
  async labelValues(label: string, selector: string): Promise<string[]> {
    const res = await fetch(`${this.url}/api/v1/label/${encodeURIComponent(label)}/values?${new URLSearchParams({ 'match[]': selector })}`);
    const body = labelValuesSchema.parse(await res.json());
    if (body.status !== 'success') throw new Error(`label_values(${selector}, ${label}): ${body.error}`);
    return body.data;
  }

  /** The scrape targets and how their last scrape went (/api/v1/targets). */
  async targets(): Promise<z.infer<typeof targetSchema>[]> {
    const res = await fetch(`${this.url}/api/v1/targets?state=active`);
    return targetsSchema.parse(await res.json()).data.activeTargets;
  }
}

const sampleSchema = z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) });
const promResponseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.union([
      z.object({ resultType: z.literal('vector'), result: z.array(sampleSchema) }),
      z.object({ resultType: z.enum(['matrix', 'scalar', 'string']), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
export type PromResponse = z.infer<typeof promResponseSchema>;

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

const labelValuesSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.array(z.string()) }),
  z.object({ status: z.literal('error'), error: z.string() }),
]);

const targetSchema = z.object({
  labels: z.record(z.string(), z.string()),
  scrapeUrl: z.string(),
  health: z.enum(['up', 'down', 'unknown']),
  lastError: z.string(),
  lastScrape: z.string(),
});
const targetsSchema = z.object({ status: z.literal('success'), data: z.object({ activeTargets: z.array(targetSchema) }) });
