import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoopbackServer, ServerProcess, freePort, tempDir } from './server-process.js';

/**
 * InfluxDB 1.x (Debian package influxdb, 1.6.7) on free loopback ports, meta/data/wal in a temp dir,
 * reporting off. The RPC bind-address (default :8088) also gets a free loopback port so parallel
 * test files do not collide.
 */
export class InfluxDb1Server extends LoopbackServer {
  private constructor(port: number, process: ServerProcess) {
    super(port, process);
  }

  static async start(): Promise<InfluxDb1Server> {
    const port = await freePort();
    const rpcPort = await freePort();
    const dir = tempDir('influxdb1-test-');
    const conf = join(dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-enabled = false',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '  logging-enabled = false',
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[http]',
        '  enabled = true',
        `  bind-address = "127.0.0.1:${port}"`,
        '  log-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '',
      ].join('\n'),
    );
    const proc = new ServerProcess('influxd', '/usr/bin/influxd', ['-config', conf], async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 204, dir);
    await proc.start();
    return new InfluxDb1Server(port, proc);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Runs an InfluxQL statement (CREATE DATABASE needs POST) and returns the parsed JSON. */
  async query(q: string, db?: string): Promise<InfluxQlResponse> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${this.url}/query?${params}`, { method: 'POST' });
    if (!res.ok) throw new Error(`query failed: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as InfluxQlResponse;
  }

  /** Rows of the first series of the first statement, as objects keyed by column. */
  async rows(q: string, db: string): Promise<Record<string, unknown>[]> {
    const r = await this.query(q, db);
    const out: Record<string, unknown>[] = [];
    for (const series of r.results[0]?.series ?? []) {
      for (const v of series.values) {
        const row: Record<string, unknown> = { ...(series.tags ?? {}) };
        series.columns.forEach((c, i) => (row[c] = v[i]));
        out.push(row);
      }
    }
    return out;
  }
}

export interface InfluxQlResponse {
  results: { statement_id: number; error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
}
