import { LoopbackServer, ServerProcess, freePort, tempDir } from './server-process.js';

/**
 * VictoriaMetrics (Debian package victoria-metrics) on a free loopback port, data in a temp dir.
 * It accepts the InfluxDB v2 write API at /api/v2/write and line protocol at /write.
 */
export class VictoriaMetricsServer extends LoopbackServer {
  private constructor(port: number, process: ServerProcess) {
    super(port, process);
  }

  static async start(): Promise<VictoriaMetricsServer> {
    const port = await freePort();
    const dir = tempDir('vm-test-');
    const proc = new ServerProcess(
      'victoria-metrics',
      '/usr/bin/victoria-metrics',
      [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}/data`, '-retentionPeriod=100y', '-loggerLevel=ERROR', '-search.disableCache'],
      async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok,
      dir,
    );
    await proc.start();
    return new VictoriaMetricsServer(port, proc);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Makes recently written samples searchable at once (VictoriaMetrics buffers them for ~1 s). */
  async flush(): Promise<void> {
    await fetch(`${this.url}/internal/force_flush`);
  }

  /**
   * Raw samples of one metric (e.g. reading_value), as the export API returns them: one entry per
   * series with every stored sample, duplicates included.
   */
  async export(match: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]> {
    await this.flush();
    const res = await fetch(`${this.url}/api/v1/export?match[]=${encodeURIComponent(match)}&start=0`);
    if (!res.ok) throw new Error(`export failed: HTTP ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
  }
}
