import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { QualityCode } from '../../gateway/core/quality.js';
import type { Reading } from '../../gateway/core/reading.js';
import { thresholdAlarm, type ThresholdSpec } from '../../rules/threshold.js';

type In = number | null | [number, QualityCode];

/** Runs readings given as marbles (value letters → values) through a threshold in virtual time. */
function run(marbles: string, values: Record<string, In>, spec: Partial<ThresholdSpec>, expected: string, expectedValues: Record<string, unknown>) {
  const scheduler = new TestScheduler((actual, exp) => expect(actual).toEqual(exp));
  scheduler.run(({ hot, expectObservable }) => {
    const readings = hot(marbles, values).pipe(
      map((v): Reading => {
        const [value, quality] = Array.isArray(v) ? v : [v, 'Good' as QualityCode];
        return { point: 'co', value, quality, ts: scheduler.now(), receivedAt: scheduler.now() };
      }),
    );
    const full: ThresholdSpec = { alarmId: 'co:HH', direction: 'high', limit: 160, deadband: 5, onDelayMs: 0, offDelayMs: 0, ...spec };
    expectObservable(readings.pipe(thresholdAlarm(full, scheduler)).pipe(map((u) => ({ active: u.active, value: u.value, ts: u.ts })))).toBe(expected, expectedValues);
  });
}

describe('threshold operator (virtual time)', () => {
  it('raises when the value reaches the limit and holds it inside the deadband', () => {
    // 150 reports the initial (inactive) state; 160 raises; 157 and 155.5 are inside the 5 ppm
    // deadband; 154 clears.
    run('a-b-c-d-e', { a: 150, b: 160, c: 157, d: 155.5, e: 154 }, {}, 'I-R-----C', {
      I: { active: false, value: 150, ts: 0 },
      R: { active: true, value: 160, ts: 2 },
      C: { active: false, value: 154, ts: 8 },
    });
  });

  it('on-delay ignores a short spike and raises a sustained excursion after the delay', () => {
    // Spike at 10 ms lasts 20 ms (< 50 ms on-delay): no alarm; the normal value at 30 ms is reported as
    // the initial state. From 100 ms the value stays high: raise at 150 ms with the latest value (g).
    run('10ms a 19ms b 69ms c 9ms d 9ms e 9ms f 9ms g', { a: 200, b: 100, c: 170, d: 175, e: 180, f: 185, g: 190 }, { onDelayMs: 50 }, '30ms I 119ms R', {
      I: { active: false, value: 100, ts: 30 },
      R: { active: true, value: 190, ts: 150 },
    });
  });

  it('off-delay keeps the alarm until the value has stayed back for the delay', () => {
    run('a 9ms b 9ms c 9ms d', { a: 170, b: 100, c: 170, d: 100 }, { offDelayMs: 15 }, 'R 44ms C', {
      R: { active: true, value: 170, ts: 0 },
      C: { active: false, value: 100, ts: 45 },
    });
  });

  it('clears only after falling below limit minus deadband, then can raise again', () => {
    run('a-b-c-d', { a: 161, b: 156, c: 154, d: 160 }, {}, 'R---C-R', {
      R: { active: true, value: expect.any(Number), ts: expect.any(Number) },
      C: { active: false, value: 154, ts: 4 },
    });
  });

  it('Bad quality neither raises nor clears, and cancels a pending on-delay', () => {
    // a (0 ms) starts the 30 ms delay; the Bad b at 10 ms cancels it even though its value is high;
    // c at 20 ms starts it again → raise at 50 ms; the good 0 at 70 ms clears.
    run('a 9ms b 9ms c 49ms d', { a: 170, b: [999, 'BadCommunicationError'], c: 170, d: 0 }, { onDelayMs: 30 }, '50ms R 19ms C', {
      R: { active: true, value: 170, ts: 50 },
      C: { active: false, value: 0, ts: 70 },
    });
  });

  it('reports the initial inactive state once, so an alarm restored active after a restart can clear', () => {
    // First reading inside the deadband says nothing; the first clearly normal one says "inactive".
    run('a-b-c-d', { a: 157, b: 150, c: 140, d: 100 }, {}, '--I----', { I: { active: false, value: 150, ts: 2 } });
    // A spike shorter than the on-delay, then normal: the pending raise is cancelled and "inactive" reported.
    run('a-b-c', { a: 170, b: 100, c: 90 }, { onDelayMs: 10 }, '--I--', { I: { active: false, value: 100, ts: 2 } });
  });

  it('a Bad reading does not clear an active alarm', () => {
    run('a-b-c', { a: 170, b: [0, 'BadTimeout'], c: null }, {}, 'R----', { R: { active: true, value: 170, ts: 0 } });
  });

  it('a low limit mirrors the high limit (oxygen below 19.5 %VOL)', () => {
    run('a-b-c-d', { a: 20.9, b: 19.5, c: 19.8, d: 20.1 }, { alarmId: 'o2:L', direction: 'low', limit: 19.5, deadband: 0.5 }, 'I-R---C', {
      I: { active: false, value: 20.9, ts: 0 },
      R: { active: true, value: 19.5, ts: 2 },
      C: { active: false, value: 20.1, ts: 6 },
    });
  });
});
