import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../../gateway/core/alarm-event.js';
import { PointRegistry } from '../../../../gateway/core/point-registry.js';
import { ConsoleReporter } from '../../../../gateway/services/terminal/console-reporter.js';

describe('terminal alarm lines', () => {
  it('start with the local time of the event, to the second, whatever order the events come in', () => {
    const reporter = new ConsoleReporter({ write: () => undefined, summaryIntervalMs: 0, points: new PointRegistry(), readingsPublished: () => 0, annunciated: () => [], colour: false, scheduler: asyncScheduler });
    const event = (ts: number): AlarmEvent => ({ seq: 1, alarmId: 'p1:HH', point: 'p1', condition: 'HH', severity: 3, state: 'UNACK', active: true, value: 170, message: '测点1 高高报', ts });
    const t = Date.UTC(2026, 11, 1, 8, 0, 0, 200);
    // Same second twice (the memo), the next second, back one, a day later.
    for (const ts of [t, t + 700, t + 900, t + 1000, t - 1, t + 86_400_000]) {
      expect(reporter.alarmLine(event(ts)).slice(0, 8)).toBe(new Date(ts).toTimeString().slice(0, 8));
    }
  });
});
