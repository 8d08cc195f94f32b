import { ReplaySubject, asapScheduler, observeOn, type Observable } from 'rxjs';
import type { AlarmDefinition, ConditionUpdate } from '../core/condition.js';
import type { QuarantinedRow } from '../alarms/sqlite-journal.js';

export const STORAGE_ALARM_IDS = {
  /** The journal cannot be written (disk full, I/O error): events are held in memory. */
  failing: 'gateway:STORAGE_FAILING',
  /** Rows of the journal could not be read back at start-up and were quarantined. */
  journalCorrupt: 'gateway:JOURNAL_CORRUPT',
  /** The periodic database backup failed. */
  backupFailing: 'gateway:BACKUP_FAILING',
} as const;

/**
 * The storage's own diagnostic alarms, fed to the alarm manager as a rule's conditions are. Updates
 * are delivered asynchronously (asap): a failure is noticed inside the alarm manager's journal write,
 * and the alarm it raises must come after the event being written, never inside it.
 */
export class StorageHealth {
  private readonly updates = new ReplaySubject<ConditionUpdate>(16);
  readonly diagnostics$: Observable<ConditionUpdate> = this.updates.pipe(observeOn(asapScheduler));
  private failing: string | undefined;
  private backupFailing: string | undefined;

  alarmDefinitions(): AlarmDefinition[] {
    return [
      { alarmId: STORAGE_ALARM_IDS.failing, point: 'gateway', condition: 'STORAGE_FAILING', severity: 4, label: '存储故障', message: '报警日志无法写入磁盘，报警暂存内存', ruleId: 'storage' },
      { alarmId: STORAGE_ALARM_IDS.journalCorrupt, point: 'gateway', condition: 'JOURNAL_CORRUPT', severity: 3, label: '报警日志损坏', message: '报警日志中有无法读取的记录，已隔离', ruleId: 'storage' },
      { alarmId: STORAGE_ALARM_IDS.backupFailing, point: 'gateway', condition: 'BACKUP_FAILING', severity: 2, label: '备份失败', message: '数据库定期备份失败', ruleId: 'storage' },
    ];
  }

  /** The journal cannot be written (`reason`, e.g. "disk full at /var/lib/gw"), or works again (undefined). */
  storageFailing(reason: string | undefined, held = 0): void {
    if (reason === this.failing) return;
    this.failing = reason;
    this.updates.next({
      alarmId: STORAGE_ALARM_IDS.failing,
      active: reason !== undefined,
      value: reason !== undefined ? held : 0,
      ts: Date.now(),
      ...(reason !== undefined ? { detail: `存储故障 [${reason}]，${held} 条报警事件暂存内存，空间恢复后按序写入` } : {}),
    });
  }

  journalCorrupt(rows: readonly QuarantinedRow[]): void {
    if (rows.length === 0) return;
    const named = rows.slice(0, 3).map((r) => `${r.table} ${r.key}`).join('，');
    this.updates.next({
      alarmId: STORAGE_ALARM_IDS.journalCorrupt,
      active: true,
      value: rows.length,
      ts: Date.now(),
      detail: `${rows.length} 行已移入 journal_quarantine（${named}${rows.length > 3 ? ' 等' : ''}），其余已恢复`,
    });
  }

  backupFailed(reason: string | undefined): void {
    if (reason === this.backupFailing) return;
    this.backupFailing = reason;
    this.updates.next({ alarmId: STORAGE_ALARM_IDS.backupFailing, active: reason !== undefined, value: null, ts: Date.now(), ...(reason ? { detail: reason } : {}) });
  }
}
