import { TestScheduler } from 'rxjs/testing';
import { AlarmActionError, AlarmManager, MemoryJournal, type AlarmJournal } from '../../../gateway/alarms/alarm-manager.js';
import type { AlarmDefinition } from '../../../rules/condition.js';

export const CO_HH: AlarmDefinition = { alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 3, label: '高高报', limit: 160, ruleId: 'co:limits' };

export type Step =
  | 'raise'
  | 'clear'
  | 'ack'
  | 'shelve'
  | 'shelve10'
  | 'unshelve'
  | 'oos'
  | 'ins'
  | 'suppress'
  | 'unsuppress'
  | 'comment'
  | { wait: number };

export function makeManager(defs: AlarmDefinition[] = [CO_HH], journal: AlarmJournal = new MemoryJournal(), scheduler = new TestScheduler(() => undefined)) {
  const manager = new AlarmManager({
    definitions: defs,
    pointInfo: () => ({ name: '加压机房一氧化碳', unit: 'ppm', equipment: '煤气加压机房', area: 'gas' }),
    journal,
    scheduler,
    maxShelveMs: 3_600_000,
  });
  return { manager, scheduler, journal };
}

/**
 * Runs steps against one alarm in virtual time: each step 1 ms after the previous, `{ wait }` lets
 * timers run. Returns the state after each step. With `skipRefused`, an action the manager refuses
 * (AlarmActionError, which an operator sees as an error message) is recorded in `refused` and the
 * run goes on; any other exception is a crash and is thrown, with or without it.
 */
export function runSteps(
  steps: Step[],
  def: AlarmDefinition = CO_HH,
  opts: { skipRefused?: boolean } = {},
): { states: string[]; manager: AlarmManager; journal: MemoryJournal; refused: { step: Step; message: string }[] } {
  const scheduler = new TestScheduler(() => undefined);
  const journal = new MemoryJournal();
  const states: string[] = [];
  const refused: { step: Step; message: string }[] = [];
  let manager!: AlarmManager;
  scheduler.run(() => {
    manager = makeManager([def], journal, scheduler).manager;
    const id = def.alarmId;
    let t = 0;
    for (const step of steps) {
      t += typeof step === 'object' ? step.wait : 1;
      scheduler.schedule(() => {
        const now = scheduler.now();
        try {
          applyStep(step, now);
        } catch (err) {
          if (!(opts.skipRefused && err instanceof AlarmActionError)) throw err;
          refused.push({ step, message: err.message });
        }
        states.push(manager.get(id).state);
      }, t);
    }
  });
  return { states, manager, journal, refused };

  function applyStep(step: Step, now: number): void {
    const id = def.alarmId;
    switch (step) {
      case 'raise':
        manager.apply({ alarmId: id, active: true, value: 170, ts: now });
        break;
      case 'clear':
        manager.apply({ alarmId: id, active: false, value: 20, ts: now });
        break;
      case 'ack':
        manager.acknowledge(id, '张三');
        break;
      case 'shelve':
        manager.shelve(id, '张三', { reason: '检修' });
        break;
      case 'shelve10':
        manager.shelve(id, '张三', { durationMs: 10, reason: '检修' });
        break;
      case 'unshelve':
        manager.unshelve(id, '张三');
        break;
      case 'oos':
        manager.setOutOfService(id, true, '李四', '传感器更换');
        break;
      case 'ins':
        manager.setOutOfService(id, false, '李四');
        break;
      case 'suppress':
        manager.setSuppressed(id, true, now, '风机停运');
        break;
      case 'unsuppress':
        manager.setSuppressed(id, false, now);
        break;
      case 'comment':
        manager.comment(id, '张三', '已通知班长');
        break;
    }
  }
}
