import { Subject, type Observable } from 'rxjs';
import type { AlarmDefinition, ConditionUpdate } from '../../core/condition.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { describeStorageFailure } from '../../store/storage-errors.js';
import type { StorageListener } from './intake-writes.js';

export const CENTRE_STORAGE_ALARM_ID = 'centre:STORAGE_FAILING';

/**
 * The centre's alarm for a centre.db that the disk refuses (full, I/O error): raised on the gateway's
 * own alarm list (console, MQTT, terminal) with the reason ("disk full at <dir>") and what is held,
 * cleared once the held rows are written.
 */
export class CentreStorageAlarm {
  private readonly updates = new Subject<ConditionUpdate>();
  readonly diagnostics$: Observable<ConditionUpdate> = this.updates.asObservable();

  constructor(
    private readonly o: { dataDir: string; log: Logger; metrics: Metrics; now(): number },
  ) {}

  definitions(): AlarmDefinition[] {
    return [
      {
        alarmId: CENTRE_STORAGE_ALARM_ID,
        point: 'gateway',
        condition: 'STORAGE_FAILING',
        severity: 3,
        label: '监测中心存储故障',
        message: '监测中心数据库无法写入磁盘（磁盘满或故障），企业上报数据暂存内存，空间恢复后按序写入',
        ruleId: 'centre',
      },
    ];
  }

  /** For the intake's onStorage. */
  readonly listener: StorageListener = (failure) => {
    if (!failure) {
      this.o.log.info('监测中心数据库恢复写入，暂存数据已按序写入 [centre.db writable again: held rows written]');
      this.o.metrics.set('centre_storage_failing', 0);
      this.updates.next({ alarmId: CENTRE_STORAGE_ALARM_ID, active: false, value: 0, ts: this.o.now() });
      return;
    }
    const reason = describeStorageFailure(failure.error, this.o.dataDir);
    this.o.log.error(`监测中心数据库无法写入 [centre.db cannot be written: ${reason}]: rows held in memory`, { ...failure.held });
    this.o.metrics.set('centre_storage_failing', 1);
    this.updates.next({ alarmId: CENTRE_STORAGE_ALARM_ID, active: true, value: failure.held.samples, ts: this.o.now(), detail: `存储故障 [${reason}]，上报数据暂存内存，空间恢复后按序写入` });
  };
}

