import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isAnnunciated } from '../../../gateway/core/alarm-event.js';
import { CO_HH, runSteps, type Step } from './harness.js';

const LATCHED = { ...CO_HH, latch: true };
const REALARM = { ...CO_HH, reAlarmMs: 100 };

/** Every transition of the ISA-18.2 machine: the steps to get there and the state after the last step. */
const transitions: [string, Step[], string, typeof CO_HH?][] = [
  ['NORMAL → UNACK on activation', ['raise'], 'UNACK'],
  ['UNACK → ACKED on acknowledge', ['raise', 'ack'], 'ACKED'],
  ['UNACK → RTN_UNACK on return to normal', ['raise', 'clear'], 'RTN_UNACK'],
  ['ACKED → NORMAL on return to normal', ['raise', 'ack', 'clear'], 'NORMAL'],
  ['RTN_UNACK → NORMAL on acknowledge', ['raise', 'clear', 'ack'], 'NORMAL'],
  ['RTN_UNACK → UNACK on re-activation', ['raise', 'clear', 'raise'], 'UNACK'],
  ['acknowledging a normal alarm changes nothing', ['ack'], 'NORMAL'],
  ['latched: UNACK → LATCHED_UNACK on return to normal', ['raise', 'clear'], 'LATCHED_UNACK', LATCHED],
  ['latched: ACKED → LATCHED_ACKED on return to normal', ['raise', 'ack', 'clear'], 'LATCHED_ACKED', LATCHED],
  ['latched: LATCHED_UNACK → NORMAL on acknowledge (reset)', ['raise', 'clear', 'ack'], 'NORMAL', LATCHED],
  ['latched: LATCHED_ACKED → NORMAL on acknowledge (reset)', ['raise', 'ack', 'clear', 'ack'], 'NORMAL', LATCHED],
  ['latched: LATCHED_UNACK → UNACK on re-activation', ['raise', 'clear', 'raise'], 'UNACK', LATCHED],
  ['UNACK → SHELVED on shelve', ['raise', 'shelve'], 'SHELVED'],
  ['one-shot SHELVED → NORMAL when the condition clears', ['raise', 'shelve', 'clear'], 'NORMAL'],
  ['timed SHELVED stays SHELVED when the condition clears', ['raise', 'shelve10', 'clear'], 'SHELVED'],
  ['timed SHELVED → UNACK at expiry while still active', ['raise', 'shelve10', { wait: 20 }], 'UNACK'],
  ['timed SHELVED → NORMAL at expiry after clearing', ['raise', 'shelve10', 'clear', { wait: 20 }], 'NORMAL'],
  ['SHELVED → UNACK on unshelve while active', ['raise', 'shelve', 'unshelve'], 'UNACK'],
  ['SHELVED alarm activated while shelved stays SHELVED', ['shelve10', 'raise'], 'SHELVED'],
  ['NORMAL → SUPPRESSED by design', ['suppress'], 'SUPPRESSED'],
  ['SUPPRESSED stays SUPPRESSED on activation', ['suppress', 'raise'], 'SUPPRESSED'],
  ['SUPPRESSED → UNACK when released while active', ['suppress', 'raise', 'unsuppress'], 'UNACK'],
  ['SUPPRESSED → NORMAL when released while normal', ['suppress', 'raise', 'clear', 'unsuppress'], 'NORMAL'],
  ['UNACK → OUT_OF_SERVICE', ['raise', 'oos'], 'OUT_OF_SERVICE'],
  ['OUT_OF_SERVICE stays on activation', ['oos', 'raise'], 'OUT_OF_SERVICE'],
  ['OUT_OF_SERVICE → UNACK on return to service while active', ['oos', 'raise', 'ins'], 'UNACK'],
  ['OUT_OF_SERVICE → NORMAL on return to service while normal', ['raise', 'oos', 'clear', 'ins'], 'NORMAL'],
  ['OUT_OF_SERVICE beats SHELVED and SUPPRESSED', ['raise', 'shelve', 'suppress', 'oos'], 'OUT_OF_SERVICE'],
  ['re-alarm: ACKED → UNACK after the re-alarm time while active', ['raise', 'ack', { wait: 150 }], 'UNACK', REALARM],
  ['re-alarm: no re-alarm once normal', ['raise', 'ack', 'clear', { wait: 150 }], 'NORMAL', REALARM],
  ['a comment changes no state', ['raise', 'comment'], 'UNACK'],
];

describe('alarm state machine (ISA-18.2)', () => {
  it.each(transitions)('%s', (_name, steps, expected, def) => {
    const { states } = runSteps(steps, def ?? CO_HH);
    expect(states.at(-1)).toBe(expected);
  });

  it('journals condition changes while shelved, suppressed or out of service, without annunciating', () => {
    const { journal } = runSteps(['shelve10', 'raise', 'clear', 'suppress', 'raise', 'oos', 'clear']);
    const conditionEvents = journal.events.filter((e) => e.user === undefined && e.comment === undefined);
    expect(conditionEvents.map((e) => [e.state, e.active])).toEqual([
      ['SHELVED', true],
      ['SHELVED', false],
      ['SHELVED', true],
      ['OUT_OF_SERVICE', false],
    ]);
    expect(journal.events.some((e) => isAnnunciated(e.state))).toBe(false);
  });

  it('records every operator action in the audit log with user, reason and before/after state', () => {
    const { journal } = runSteps(['raise', 'shelve', 'unshelve', 'ack', 'oos', 'ins']);
    expect(journal.audits.map((a) => [a.action, a.user, a.before, a.after])).toEqual([
      ['SHELVE', '张三', 'UNACK', 'SHELVED'],
      ['UNSHELVE', '张三', 'SHELVED', 'UNACK'],
      ['ACK', '张三', 'UNACK', 'ACKED'],
      ['OUT_OF_SERVICE', '李四', 'ACKED', 'OUT_OF_SERVICE'],
      ['IN_SERVICE', '李四', 'OUT_OF_SERVICE', 'UNACK'],
    ]);
    expect(journal.audits[0]!.reason).toBe('检修');
  });

  it('numbers events with a strictly increasing seq and writes Chinese messages', () => {
    const { journal } = runSteps(['raise', 'ack', 'clear']);
    expect(journal.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(journal.events[0]!.message).toBe('【较大】煤气加压机房 加压机房一氧化碳 高高报: 170 ppm (限值 160 ppm)');
    expect(journal.events[2]!.message).toBe('煤气加压机房 加压机房一氧化碳 高高报 已恢复: 20 ppm');
  });

  it('refuses a shelve longer than the maximum and a one-shot shelve of a normal alarm', () => {
    const { manager } = runSteps([]);
    expect(() => manager.shelve('co:HH', '张三', { durationMs: 2 * 3_600_000 })).toThrow(/maximum of 60 min/);
    expect(() => manager.shelve('co:HH', '张三')).toThrow(/one-shot shelving needs an active alarm/);
    expect(() => manager.acknowledge('nope', '张三')).toThrow(/unknown alarm "nope"/);
  });
});

const stepArb = fc.constantFrom<Step>('raise', 'clear', 'ack', 'shelve', 'shelve10', 'unshelve', 'oos', 'ins', 'suppress', 'unsuppress', 'comment', { wait: 5 });

describe('alarm state machine properties', () => {
  it('nothing is annunciated while shelved, suppressed or out of service', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
        // A refused action is skipped, as the operator would see an error and go on; any other
        // exception is a crash and fails the property.
        const { journal, refused } = runSteps(steps, CO_HH, { skipRefused: true });
        // The only action these steps can have refused: a one-shot shelve of an alarm that is not active.
        for (const r of refused) expect([r.step, r.message]).toEqual(['shelve', expect.stringMatching(/one-shot shelving needs an active alarm/)]);
        expect(journal.statuses).toHaveLength(journal.events.length);
        journal.events.forEach((e, i) => {
          const f = journal.statuses[i]!.facts;
          if (f.shelved || f.suppressed || f.outOfService) expect(isAnnunciated(e.state), `${e.state} with ${JSON.stringify(f)}`).toBe(false);
          else expect(['SHELVED', 'SUPPRESSED', 'OUT_OF_SERVICE']).not.toContain(e.state);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('a latched alarm survives its clear until acknowledged', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<Step>('raise', 'clear', 'ack', { wait: 5 }), { maxLength: 30 }), (steps) => {
        const { states } = runSteps([...steps, 'raise', 'clear'], LATCHED);
        expect(states.at(-1)).toMatch(/^LATCHED_/);
        const after = runSteps([...steps, 'raise', 'clear', { wait: 1000 }], LATCHED).states.at(-1);
        expect(after).toMatch(/^LATCHED_/);
      }),
      { numRuns: 200 },
    );
  });
});
