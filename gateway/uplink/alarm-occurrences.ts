import { randomUUID } from 'node:crypto';
import type { Db, Migration } from '../store/database.js';
import { migrate } from '../store/database.js';

const MIGRATIONS: readonly Migration[] = [
  {
    // One row per alarm id: its current (or last) occurrence, so a clear after a restart pairs with its start.
    id: 'uplink-alarm-occurrence-001',
    sql: `CREATE TABLE uplink_alarm_occurrence (alarm_id TEXT PRIMARY KEY, alarm_key TEXT NOT NULL, started_at INTEGER NOT NULL, active INTEGER NOT NULL);`,
  },
];

export interface Occurrence {
  key: string;
  startedAt: number;
}

/**
 * The identity of each alarm occurrence (from activation to clearing, 消警) the platform pairs
 * start and end messages by. A new key on every activation; acknowledgements, comments and the
 * clear of that occurrence carry the same key. Kept in SQLite: a gateway restarted while an alarm is
 * active sends its clear with the key of the start it sent before the restart. One write per
 * activation or clear (alarms are rare next to readings).
 */
export class AlarmOccurrences {
  private readonly stmt;
  private readonly cache = new Map<string, Occurrence & { active: boolean }>();

  constructor(db: Db) {
    migrate(db, MIGRATIONS);
    this.stmt = {
      get: db.prepare('SELECT alarm_key, started_at, active FROM uplink_alarm_occurrence WHERE alarm_id = ?'),
      upsert: db.prepare(
        'INSERT INTO uplink_alarm_occurrence (alarm_id, alarm_key, started_at, active) VALUES (?, ?, ?, ?) ON CONFLICT(alarm_id) DO UPDATE SET alarm_key = excluded.alarm_key, started_at = excluded.started_at, active = excluded.active',
      ),
      setActive: db.prepare('UPDATE uplink_alarm_occurrence SET active = ? WHERE alarm_id = ?'),
    };
  }

  private load(alarmId: string): (Occurrence & { active: boolean }) | undefined {
    const cached = this.cache.get(alarmId);
    if (cached) return cached;
    const r = this.stmt.get.get(alarmId) as { alarm_key: string; started_at: number; active: number } | undefined;
    if (!r) return undefined;
    const o = { key: r.alarm_key, startedAt: r.started_at, active: r.active === 1 };
    this.cache.set(alarmId, o);
    return o;
  }

  /** Records an event of the alarm; returns its occurrence (undefined for an alarm never active). */
  observe(alarmId: string, active: boolean, ts: number): Occurrence | undefined {
    const current = this.load(alarmId);
    if (active && !current?.active) {
      const o = { key: randomUUID(), startedAt: ts, active: true };
      this.stmt.upsert.run(alarmId, o.key, o.startedAt, 1);
      this.cache.set(alarmId, o);
      return { key: o.key, startedAt: o.startedAt };
    }
    if (!active && current?.active) {
      this.stmt.setActive.run(0, alarmId);
      current.active = false;
    }
    return current ? { key: current.key, startedAt: current.startedAt } : undefined;
  }
}
