import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { InfluxSection } from './config.js';

/** Result of one write request. `retry: false`: the server rejected the data itself (HTTP 400/422). */
export type WriteOutcome = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * One HTTP write of line protocol through @influxdata/influxdb-client's transport, to /api/v2/write
 * or the 1.x /write endpoint. The client's own WriteApi is not used: it keeps its retry buffer in
 * memory and drops lines after its retries, and this sink must keep them on disk instead.
 */
export class InfluxWriter {
  private readonly client: InfluxDB;
  private readonly path: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly cfg: InfluxSection) {
    this.client = new InfluxDB({ url: cfg.url, timeout: cfg.timeout, ...(cfg.api === 'v2' && cfg.token ? { token: cfg.token } : {}) });
    this.headers = { 'content-type': 'text/plain; charset=utf-8' };
    if (cfg.api === 'v2') {
      this.path = `/api/v2/write?${new URLSearchParams({ org: cfg.org, bucket: cfg.bucket, precision: 'ns' })}`;
    } else {
      const q = new URLSearchParams({ db: cfg.database, precision: 'ns' });
      if (cfg.retentionPolicy) q.set('rp', cfg.retentionPolicy);
      this.path = `/write?${q}`;
      if (cfg.username) this.headers['authorization'] = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
    }
  }

  describe(): string {
    return this.cfg.api === 'v2' ? `${this.cfg.url} bucket ${this.cfg.bucket}` : `${this.cfg.url} db ${this.cfg.database}`;
  }

  async write(body: string): Promise<WriteOutcome> {
    try {
      await this.client.transport.request(this.path, body, { method: 'POST', headers: this.headers, gzipThreshold: 64 * 1024 });
      return { ok: true };
    } catch (err) {
      if (err instanceof HttpError) {
        const retry = !(err.statusCode === 400 || err.statusCode === 422);
        return { ok: false, retry, error: `HTTP ${err.statusCode}: ${(err.body ?? err.message).slice(0, 300)}` };
      }
      const e = err as Error & { code?: string };
      return { ok: false, retry: true, error: e.code ? `${e.code}: ${e.message}` : e.message };
    }
  }
}
