import { describe, expect, it } from 'vitest';
import { MemoryJournal } from '../../../gateway/alarms/alarm-manager.js';
import { CO_HH, makeManager } from './harness.js';

/** "I'm on it" and the horn's silence: journaled and audited, never an acknowledgement. */
describe('assign and silence', () => {
  const raise = (m: ReturnType<typeof makeManager>['manager'], active: boolean, ts: number) => m.apply({ alarmId: CO_HH.alarmId, active, value: active ? 200 : 0, ts });

  it('assign names who is on it without acknowledging; it ends when the alarm is normal again', () => {
    const journal = new MemoryJournal();
    const { manager } = makeManager([CO_HH], journal);
    raise(manager, true, 1);
    const s = manager.assign(CO_HH.alarmId, '张三');
    expect(s).toMatchObject({ state: 'UNACK', assignedTo: '张三' });
    expect(journal.events.at(-1)).toMatchObject({ user: '张三', comment: '张三 正在处理', state: 'UNACK' });
    expect(journal.audits.at(-1)).toMatchObject({ user: '张三', action: 'ASSIGN', before: 'UNACK', after: 'UNACK' });
    manager.acknowledge(CO_HH.alarmId, '张三');
    raise(manager, false, 2);
    expect(manager.get(CO_HH.alarmId)).toMatchObject({ state: 'NORMAL', assignedTo: undefined });
  });

  it('silence stops the horn for this activation only; a new activation sounds again', () => {
    const journal = new MemoryJournal();
    const { manager } = makeManager([CO_HH], journal);
    raise(manager, true, 1);
    expect(manager.silence(CO_HH.alarmId, '李四')).toMatchObject({ state: 'UNACK', silenced: true });
    expect(journal.audits.at(-1)).toMatchObject({ user: '李四', action: 'SILENCE' });
    const events = journal.events.length;
    manager.silence(CO_HH.alarmId, '李四');
    expect(journal.events.length).toBe(events); // already silent: nothing new to journal
    raise(manager, false, 2); // RTN_UNACK: still silenced
    expect(manager.get(CO_HH.alarmId).silenced).toBe(true);
    raise(manager, true, 3); // a new activation
    expect(manager.get(CO_HH.alarmId)).toMatchObject({ state: 'UNACK', silenced: false });
  });
});
