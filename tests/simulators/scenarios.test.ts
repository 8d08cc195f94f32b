import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../gateway/config/load.js';
import { SCENARIOS } from '../../simulators/modbus/scenarios/index.js';
import { PackBench } from '../rules/packs/pack-bench.js';

// Each demo scenario's script, read once a second through its own config's equipment packs in
// virtual time, raises every alarm it promises, no earlier than its step, each with a basis.
// tests/e2e/scenarios.test.ts runs the checks that need the real transports (the wireless sensor's
// silence, the interlocks) through the demo CLI itself.
describe.each(Object.entries(SCENARIOS))('scenario %s', (name, scenario) => {
  it('its config is valid and names every simulated signal as a point', () => {
    const r = loadConfigFile(fileURLToPath(new URL(`../../gateway/config/${scenario.config}`, import.meta.url)));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const points = new Set(r.config.devices.flatMap((d) => d.points.map((p) => p.id)));
    expect([...Object.keys(scenario.signals), ...Object.keys(scenario.mqtt ?? {})].filter((s) => !points.has(s))).toEqual([]);
  });

  it('raises every alarm of its script with a basis', () => {
    const r = loadConfigFile(fileURLToPath(new URL(`../../gateway/config/${scenario.config}`, import.meta.url)));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const b = new PackBench(r.config, true);
    for (const [point, signal] of Object.entries(scenario.signals)) b.hold(point, (t) => signal.at(t / 1000), 0, scenario.cycleS * 1000 - 1000);
    // The wireless sensor's points: no reading at all while its script says it is silent.
    for (const [point, at] of Object.entries(scenario.mqtt ?? {})) b.hold(point, (t) => at(t / 1000), 0, scenario.cycleS * 1000 - 1000);
    const raised = b.run().raised.filter((e) => e.ts < scenario.cycleS * 1000);
    for (const want of scenario.expect) {
      const e = raised.find((x) => x.alarmId === want.alarmId);
      expect(e, `${name}: ${want.alarmId} not raised; raised ${raised.map((x) => x.alarmId).join(', ')}`).toBeDefined();
      expect(e!.ts).toBeGreaterThanOrEqual(want.after * 1000);
      expect(e!.basis).toBeTruthy();
    }
  });
});
