import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// Plain CommonJS for an eval worker: no TypeScript loader is needed inside it. One worker serves
// every Checkpointer of the process: a connection and a timer per database file.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
const run = (id, f, mode) => {
  try { f.db.pragma('wal_checkpoint(' + mode + ')'); } catch (e) { parentPort.postMessage({ id, error: String(e && e.message || e) }); }
};
parentPort.on('message', (m) => {
  if (m.add !== undefined) {
    try {
      const db = new Database(m.file);
      db.pragma('busy_timeout = 2000');
      const f = { db, timer: undefined };
      f.timer = setInterval(() => run(m.add, f, 'PASSIVE'), m.intervalMs);
      files.set(m.add, f);
    } catch (e) {
      parentPort.postMessage({ id: m.add, error: String(e && e.message || e) });
    }
  } else if (m.remove !== undefined) {
    const f = files.get(m.remove);
    files.delete(m.remove);
    if (f) {
      clearInterval(f.timer);
      run(m.remove, f, 'TRUNCATE');
      try { f.db.close(); } catch (e) { /* closing is best effort: the checkpoint above is what counts */ }
    }
    parentPort.postMessage({ id: m.remove, stopped: true });
  }
});
`;

interface Shared {
  worker: Worker;
  /** Checkpointer id → its error callback and, while stopping, the resolver of stop(). */
  users: Map<number, { onError: (message: string) => void; stopped?: () => void }>;
}

let shared: Shared | undefined;
let nextId = 1;

/** The process's checkpoint worker, started with its first user. */
function sharedWorker(): Shared {
  if (shared) return shared;
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: require.resolve('better-sqlite3') } });
  const s: Shared = { worker, users: new Map() };
  worker.on('message', (m: { id: number; error?: string; stopped?: boolean }) => {
    const user = s.users.get(m.id);
    if (m.error !== undefined) user?.onError(m.error);
    if (m.stopped) user?.stopped?.();
  });
  worker.on('error', (e) => {
    for (const u of s.users.values()) u.onError(e.message);
  });
  // A worker that died (an error above) is replaced for the next start; a stop() waiting on it is done.
  worker.on('exit', () => {
    if (shared === s) shared = undefined;
    for (const u of s.users.values()) u.stopped?.();
  });
  worker.unref();
  shared = s;
  return s;
}

/**
 * Moves SQLite's WAL checkpoints off the main thread. A checkpoint copies the WAL into the database
 * and fsyncs it (milliseconds); done by SQLite's automatic checkpoint it lands in the middle of
 * whichever commit crosses the threshold, i.e. in the middle of an alarm's path from reading to
 * event. Connections on the main thread therefore run with wal_autocheckpoint = 0 and a worker
 * checkpoints on a timer from its own connection.
 *
 * Every Checkpointer of the process shares one worker thread (gateway.db, and centre.db at a
 * centre): a worker is a whole Node environment, some 9 MB of RSS, for a thread that sleeps most
 * of each second.
 */
export class Checkpointer {
  private id: number | undefined;

  constructor(
    private readonly file: string,
    private readonly intervalMs = 1000,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    if (this.id !== undefined) return;
    const s = sharedWorker();
    this.id = nextId++;
    s.users.set(this.id, { onError: this.onError });
    s.worker.postMessage({ add: this.id, file: this.file, intervalMs: this.intervalMs });
  }

  /** Runs a final truncating checkpoint of this file; the last user to stop ends the worker. */
  async stop(): Promise<void> {
    const id = this.id;
    const s = shared;
    this.id = undefined;
    if (id === undefined || !s) return;
    const user = s.users.get(id);
    if (user) {
      await new Promise<void>((resolve) => {
        // No answer within 5 s (a stuck checkpoint): this user is done waiting either way.
        const timer = setTimeout(resolve, 5000);
        user.stopped = () => {
          clearTimeout(timer);
          resolve();
        };
        s.worker.postMessage({ remove: id });
      });
    }
    s.users.delete(id);
    if (s.users.size === 0 && shared === s) {
      shared = undefined;
      // terminate() failing means the worker is gone already: either way stop() is done.
      await s.worker.terminate().then(
        () => undefined,
        () => undefined,
      );
    }
  }
}
