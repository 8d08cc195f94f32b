import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { PAGE_CACHE_KIB } from './database.js';

const require = createRequire(import.meta.url);

// Plain CommonJS for an eval worker: no TypeScript loader is needed inside it.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 2000');
db.pragma('cache_size = -' + workerData.cacheKiB);
const run = (mode) => {
  try { db.pragma('wal_checkpoint(' + mode + ')'); } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
};
const timer = setInterval(() => run('PASSIVE'), workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  run('TRUNCATE');
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

/**
 * Moves SQLite's WAL checkpoints off the main thread. A checkpoint copies the WAL into the database
 * and fsyncs it (milliseconds); done by SQLite's automatic checkpoint it lands in the middle of
 * whichever commit crosses the threshold, i.e. in the middle of an alarm's path from reading to
 * event. Connections on the main thread therefore run with wal_autocheckpoint = 0 and this worker
 * checkpoints on a timer from its own connection.
 */
export class Checkpointer {
  private worker: Worker | undefined;

  constructor(
    private readonly file: string,
    private readonly intervalMs = 1000,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, intervalMs: this.intervalMs, cacheKiB: PAGE_CACHE_KIB, driver: require.resolve('better-sqlite3') } });
    this.worker.on('message', (m: { error?: string }) => m.error && this.onError(m.error));
    this.worker.on('error', (e) => this.onError(e.message));
    this.worker.unref();
  }

  /** Runs a final truncating checkpoint and ends the worker. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      // terminate() failing means the worker is gone already: either way stop() is done.
      const timer = setTimeout(() => void worker.terminate().then(() => resolve(), () => resolve()), 5000);
      worker.on('message', (m: { stopped?: boolean }) => {
        if (!m.stopped) return;
        clearTimeout(timer);
        worker.terminate().then(() => resolve(), () => resolve());
      });
      worker.postMessage('stop');
    });
  }
}
