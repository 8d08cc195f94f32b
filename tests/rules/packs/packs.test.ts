import { describe, expect, it } from 'vitest';
import { CASES, type Drive, type PackCase, type Scenario } from './cases.js';
import { PackBench, plant } from './pack-bench.js';

const value = (d: Drive, t: number) => (typeof d === 'function' ? d(t) : d);

const END = 60_000;

/** Publishes every point once a second for 60 s: normal values, the scenario's from 10 s on. */
function drive(c: PackCase, s?: Scenario): PackBench {
  const b = new PackBench(plant(c.points, c.equipment, c.extra));
  for (const [point, normal] of Object.entries(c.normal)) {
    b.hold(point, (t) => (s && t >= 10_000 && point in s.set ? value(s.set[point], t) : value(normal, t)), 0, END);
  }
  return b.run();
}

// Each pack: every check fires on its scenario with its alarm id, severity, message and basis, and
// the normal run raises nothing.
describe.each(CASES)('pack $pack', (c) => {
  it('stays quiet on the normal run', () => {
    // Only the driven minute: after it every point falls silent and stale checks rightly fire.
    expect(drive(c).raised.filter((e) => e.ts <= END).map((e) => e.alarmId)).toEqual([]);
  });
  it.each(c.scenarios)('$name → $alarmId', (s) => {
    const raised = drive(c, s).raised.filter((e) => e.ts <= END);
    const e = raised.find((x) => x.alarmId === s.alarmId);
    expect(e, `raised: ${raised.map((x) => x.alarmId).join(', ')}`).toBeDefined();
    expect(e!.severity).toBe(s.severity);
    expect(e!.message).toContain(s.message);
    expect(e!.basis).toContain(s.basis);
    expect(e!.ts).toBeGreaterThanOrEqual(10_000);
  });
});
