import { asyncScheduler, Subject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { after, every } from '../../core/timers.js';
import type { Reading } from '../../core/reading.js';
import type { AlarmEvent } from '../../core/alarm-event.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { RateLimitedLog } from '../../core/rate-limited-log.js';
import { dirname } from 'node:path';
import type { Db } from '../../store/database.js';
import { describeStorageFailure } from '../../store/storage-errors.js';
import type { AlarmDefinition, ConditionUpdate } from '../../../rules/condition.js';
import type { InfluxSection } from './config.js';
import { alarmLine, readingLine } from './line-protocol.js';
import { InfluxQueue } from './queue.js';
import { InfluxWriter } from './writer.js';

export const INFLUX_ALARM_IDS = { writeFailing: 'influx:WRITE_FAILING', queueStorage: 'influx:QUEUE_STORAGE' } as const;

export interface InfluxSinkOptions {
  config: InfluxSection;
  /** The gateway id: default for the `site` tag. */
  gatewayId: string;
  logger: Logger;
  metrics: Metrics;
  db: Db;
  /** Equipment of each point, for the `equipment` tag. */
  points?: ReadonlyMap<string, { equipment?: string | undefined }>;
  /** Clock and timers (virtual in tests); default asyncScheduler, the real clock. */
  scheduler?: SchedulerLike;
}

/**
 * History to InfluxDB / VictoriaMetrics. Readings and alarm events become line protocol in a bounded
 * in-memory buffer (the rule path only appends a string); a pump writes batches. When a write fails
 * the batch, and from then on everything buffered, goes to a disk queue in SQLite, replayed oldest
 * first when the database answers again. Replays carry the original timestamps, so they overwrite
 * rather than duplicate.
 */
export class InfluxSink {
  readonly queue: InfluxQueue;
  private readonly diagnostics = new Subject<ConditionUpdate>();
  readonly diagnostics$: Observable<ConditionUpdate> = this.diagnostics.asObservable();

  private readonly cfg: InfluxSection;
  private readonly log: Logger;
  /** Failures that repeat while the server is down or keeps refusing: once per backoff step, with a count. */
  private readonly limited: RateLimitedLog;
  private readonly metrics: Metrics;
  private readonly writer: InfluxWriter;
  private readonly site: string;
  private buffer: string[] = [];
  private subs: Subscription[] = [];
  private timers: Subscription[] = [];
  private running = false;
  private pumping: Promise<void> | undefined;
  private wakeBackoff: (() => void) | undefined;
  private failingSince: number | undefined;
  private failures = 0;
  private failingRaised = false;

  private readonly scheduler: SchedulerLike;

  constructor(private readonly opts: InfluxSinkOptions) {
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.cfg = opts.config;
    this.log = opts.logger.child('influx');
    this.limited = new RateLimitedLog(this.log);
    this.metrics = opts.metrics;
    this.site = this.cfg.site ?? opts.gatewayId;
    this.writer = new InfluxWriter(this.cfg);
    this.queue = new InfluxQueue(opts.db);
    this.where = opts.db.name === ':memory:' ? 'memory' : dirname(opts.db.name);
  }

  /** The last write succeeded (false from a failed write until the next good one). */
  get writeOk(): boolean {
    return this.failingSince === undefined;
  }
  /** The data directory, named in the storage alarm. */
  private readonly where: string;

  alarmDefinitions(): AlarmDefinition[] {
    return [
      {
        alarmId: INFLUX_ALARM_IDS.writeFailing,
        point: 'gateway',
        condition: 'WRITE_FAILING',
        severity: 2,
        label: '历史库写入失败',
        message: 'InfluxDB 历史数据写入失败，数据暂存本地磁盘队列',
        ruleId: 'influx',
      },
      {
        alarmId: INFLUX_ALARM_IDS.queueStorage,
        point: 'gateway',
        condition: 'QUEUE_STORAGE',
        severity: 3,
        label: '历史库队列无法写盘',
        message: '历史库磁盘队列无法写入（磁盘满或故障），无法写入历史库的数据被丢弃并计数',
        ruleId: 'influx',
      },
    ];
  }

  /** `historical$`: readings from the past (Sparkplug is_historical), written at their own timestamps like any reading. */
  start(readings$: Observable<Reading>, alarms$: Observable<AlarmEvent>, historical$?: Observable<Reading>): void {
    if (!this.cfg.enabled || this.running) return;
    this.running = true;
    this.log.info('历史库写入启动', { target: this.writer.describe(), api: this.cfg.api, backlogLines: this.queue.lines });
    const write = (r: Reading) => this.append(readingLine(this.cfg.measurement, r, { site: this.site, equipment: this.opts.points?.get(r.point)?.equipment }));
    if (historical$) this.subs.push(historical$.subscribe(write));
    this.subs.push(
      readings$.subscribe(write),
      alarms$.subscribe((e) => {
        this.append(alarmLine(this.cfg.alarmMeasurement, e, this.site));
        // Alarm history is what operators look for first: do not let it wait a full interval.
        setImmediate(() => this.kick());
      }),
    );
    this.timers.push(every(this.scheduler, this.cfg.flushInterval, () => this.tick()));
    this.timers.push(every(this.scheduler, 10_000, () => this.enforceBounds()));
    this.kick();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    for (const t of this.timers) t.unsubscribe();
    this.subs = [];
    this.timers = [];
    this.wakeBackoff?.();
    await this.pumping;
    // Last lines: one attempt when the database is healthy, else to disk for the next start.
    if (this.buffer.length > 0) {
      const lines = this.buffer.splice(0);
      const outcome = this.failingSince === undefined && this.queue.batches === 0 ? await this.writer.write(lines.join('\n')) : undefined;
      if (outcome?.ok) this.metrics.inc('influx_lines_written_total', undefined, lines.length);
      else this.toDisk(lines);
    }
    this.diagnostics.complete();
  }

  // ---- buffering ----

  private append(line: string | undefined): void {
    if (!this.running || line === undefined) return;
    this.buffer.push(line);
    if (this.buffer.length >= this.cfg.maxBufferLines) {
      // The database is slower than the plant: spill to disk rather than grow or drop.
      this.metrics.inc('influx_buffer_spills_total');
      this.toDisk(this.buffer.splice(0));
    } else if (this.buffer.length >= this.cfg.batchSize) this.kick();
  }

  private toDisk(lines: string[]): void {
    if (lines.length === 0) return;
    const queued = this.queue.push(lines, this.scheduler.now());
    this.queueStorage();
    if (!queued) {
      this.metrics.inc('influx_lines_dropped_total', { reason: 'disk' }, lines.length);
      return;
    }
    this.metrics.inc('influx_lines_queued_total', undefined, lines.length);
    this.metrics.set('influx_queue_lines', this.queue.lines);
  }

  private queueStorageRaised = false;

  /** Raises or clears influx:QUEUE_STORAGE after a disk queue write (from a microtask, see the uplink's). */
  private queueStorage(): void {
    const error = this.queue.storageError;
    if ((error !== undefined) === this.queueStorageRaised) return;
    this.queueStorageRaised = error !== undefined;
    if (error !== undefined) this.log.error('历史库磁盘队列无法写入，数据被丢弃', { reason: describeStorageFailure(error, this.where) });
    else this.log.info('历史库磁盘队列恢复写入');
    const update: ConditionUpdate = { alarmId: INFLUX_ALARM_IDS.queueStorage, active: error !== undefined, value: this.queue.lines, ts: Date.now() };
    if (error !== undefined) update.detail = describeStorageFailure(error, this.where);
    queueMicrotask(() => this.diagnostics.next(update));
  }

  private tick(): void {
    // During an outage the buffer goes to disk every interval, so a crash loses at most one interval.
    if (this.failingSince !== undefined) this.toDisk(this.buffer.splice(0));
    this.metrics.set('influx_buffer_lines', this.buffer.length);
    this.checkFailing();
    this.kick();
  }

  private kick(): void {
    if (!this.running || this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  // ---- writing ----

  private async pump(): Promise<void> {
    while (this.running) {
      if (this.queue.batches > 0) {
        // Keep order and durability: while a backlog exists, new lines join it on disk first.
        if (this.buffer.length > 0) this.toDisk(this.buffer.splice(0, this.cfg.batchSize));
        const batch = this.queue.head()!;
        const outcome = await this.writer.write(batch.body);
        if (outcome.ok) {
          if (!this.queue.remove(batch.id)) {
            // Written but the disk refuses the delete: wait rather than resend it in a tight loop.
            this.queueStorage();
            await new Promise((resolve) => setTimeout(resolve, 1000));
            continue;
          }
          this.metrics.inc('influx_lines_written_total', undefined, batch.lines);
          this.metrics.inc('influx_lines_replayed_total', undefined, batch.lines);
          this.metrics.set('influx_queue_lines', this.queue.lines);
          this.succeeded();
          if (this.queue.batches === 0) this.log.info('历史库积压数据补写完成');
        } else if (!outcome.retry) {
          if (!this.queue.remove(batch.id)) {
            this.queueStorage();
            await new Promise((resolve) => setTimeout(resolve, 1000));
            continue;
          }
          this.rejected(batch.lines, outcome.error);
        } else await this.failed(outcome.error);
      } else if (this.buffer.length > 0) {
        const lines = this.buffer.splice(0, this.cfg.batchSize);
        const outcome = await this.writer.write(lines.join('\n'));
        if (outcome.ok) {
          this.metrics.inc('influx_lines_written_total', undefined, lines.length);
          this.succeeded();
        } else if (!outcome.retry) this.rejected(lines.length, outcome.error);
        else {
          this.toDisk(lines);
          await this.failed(outcome.error);
        }
      } else return;
    }
  }

  private rejected(lines: number, error: string): void {
    // 400/422: the server will never take these lines (e.g. a field type conflict); retrying would block the queue.
    this.metrics.inc('influx_lines_dropped_total', { reason: 'rejected' }, lines);
    this.limited.error('rejected', '历史库拒绝写入（数据格式或字段类型冲突），该批数据已丢弃', { lines, error });
  }

  private succeeded(): void {
    if (this.failingSince !== undefined) {
      this.limited.clear('write');
      this.log.info('历史库写入恢复', { failures: this.failures, backlogLines: this.queue.lines });
    }
    this.failingSince = undefined;
    this.failures = 0;
    this.metrics.set('influx_write_ok', 1);
    if (this.failingRaised) {
      this.failingRaised = false;
      this.diagnostics.next({ alarmId: INFLUX_ALARM_IDS.writeFailing, active: false, value: this.queue.lines, ts: this.scheduler.now() });
    }
  }

  private async failed(error: string): Promise<void> {
    this.metrics.inc('influx_write_failures_total');
    this.metrics.set('influx_write_ok', 0);
    this.failures++;
    if (this.failingSince === undefined) {
      this.failingSince = this.scheduler.now();
      this.limited.warn('write', '历史库写入失败，数据转存本地磁盘队列', { target: this.writer.describe(), error });
    } else this.limited.warn('write', '历史库写入重试失败 [write still failing]', { error, failures: this.failures });
    this.checkFailing();
    const delay = Math.min(this.cfg.retry.maxDelay, this.cfg.retry.initialDelay * 2 ** Math.min(20, this.failures - 1));
    await new Promise<void>((resolve) => {
      const t = after(this.scheduler, delay * (0.8 + Math.random() * 0.4), done);
      function done(): void {
        t.unsubscribe();
        resolve();
      }
      this.wakeBackoff = done;
    });
    this.wakeBackoff = undefined;
  }

  private checkFailing(): void {
    if (this.failingSince === undefined || this.failingRaised) return;
    const now = this.scheduler.now();
    if (now - this.failingSince < this.cfg.writeFailingAlarmAfter) return;
    this.failingRaised = true;
    this.diagnostics.next({ alarmId: INFLUX_ALARM_IDS.writeFailing, active: true, value: this.queue.lines, ts: now, detail: `${this.writer.describe()} 连续失败 ${this.failures} 次，磁盘队列 ${this.queue.lines} 条` });
  }

  private enforceBounds(): void {
    const dropped = this.queue.enforce(this.cfg.queue.maxLines, this.cfg.queue.maxAge, this.scheduler.now());
    this.queueStorage();
    if (dropped > 0) {
      this.metrics.inc('influx_lines_dropped_total', { reason: 'queue_full' }, dropped);
      this.limited.error('queue_full', '历史库磁盘队列超过上限，最旧的数据已删除', { dropped, maxLines: this.cfg.queue.maxLines });
    }
    this.metrics.set('influx_queue_lines', this.queue.lines);
  }
}
