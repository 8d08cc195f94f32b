import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlcSimulators, type PlcSimulators } from '../../../simulators/opcua/index.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { startAdapter, tempDir, type Harness } from '../../adapters/opcua/harness.js';

/**
 * The three PLC simulators, read through the OPC UA adapter with the demo's own device config
 * (adapters/opcua/sample.yaml, endpoints pointed at free ports). Scenarios run 5× faster.
 */
let sims: PlcSimulators;
const adapters: Harness[] = [];
const dir = tempDir('opcua-sims-test-');

interface SampleDevice {
  id: string;
  endpoint: string;
  points: Array<{ id: string }>;
}
const sample = parse(readFileSync(new URL('../../../adapters/opcua/sample.yaml', import.meta.url), 'utf8')) as { devices: SampleDevice[] };

function latest(h: Harness, point: string): Reading | undefined {
  for (let i = h.readings.length - 1; i >= 0; i--) if (h.readings[i]!.point === point) return h.readings[i];
  return undefined;
}

beforeAll(async () => {
  sims = await startPlcSimulators({ pkiDir: join(dir, 'sim'), tickMs: 100, speed: 5 });
  const ports: Record<string, number> = { 'bf1-plc': sims.get('bf1').port, 'cv1-plc': sims.get('cv1').port, 'gh1-plc': sims.get('gh1').port };
  for (const d of sample.devices) {
    adapters.push(
      await startAdapter({ ...(d as object), endpoint: `opc.tcp://127.0.0.1:${ports[d.id]}`, pkiDir: join(dir, 'gw'), publishingInterval: '100ms', samplingInterval: '50ms' } as never),
    );
  }
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(adapters.map((a) => a.stop()));
  await sims?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const byDevice = (id: string) => adapters[sample.devices.findIndex((d) => d.id === id)]!;

describe('PLC simulators through the demo device config', () => {
  it('every configured point reads Good, with units matching the servers EUInformation', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    for (const [i, d] of sample.devices.entries()) {
      const h = adapters[i]!;
      for (const p of d.points) expect(latest(h, p.id)?.quality, `${p.id}: ${latest(h, p.id)?.reason ?? 'no reading'}`).toBe('Good');
      expect(h.logs.filter((l) => l.startsWith('WARN'))).toEqual([]);
    }
    expect(latest(byDevice('bf1-plc'), 'bf1.top_pressure_design_max')?.value).toBe(300);
    expect(latest(byDevice('cv1-plc'), 'cv1.lance_autolift_armed')?.value).toBe(true);
  });

  it('lance cooling-water loss: the flow difference rises past the trip value and the interlock lifts the lance', async () => {
    const cv = byDevice('cv1-plc');
    const tripped = cv.next((r) => r.point === 'cv1.lance_interlock_tripped' && r.value === true, 20_000);
    sims.startScenario('lance-cooling-water-loss');
    await tripped;
    const maxDiff = Math.max(...cv.readings.filter((r) => r.point === 'cv1.lance_cw_flow_diff').map((r) => r.value as number));
    expect(maxDiff).toBeGreaterThan(10);
    await cv.next((r) => r.point === 'cv1.lance_position' && (r.value as number) > 10, 20_000);
  }, 30_000);

  it('top-pressure excursion: pressure exceeds the relief set value while the relief valve stays shut', async () => {
    const bf = byDevice('bf1-plc');
    const over = bf.next((r) => r.point === 'bf1.top_pressure' && (r.value as number) > 265, 20_000);
    sims.startScenario('top-pressure-excursion');
    await over;
    expect(latest(bf, 'bf1.relief_valve_position')?.value).toBe(0);
    expect(latest(bf, 'bf1.relief_interlock_armed')?.value).toBe(true);
  }, 30_000);

  it('gas-holder piston tilt: tilt passes 150 mm and CO above the piston rises past 24 ppm', async () => {
    const gh = byDevice('gh1-plc');
    const tilt = gh.next((r) => r.point === 'gh1.piston_tilt' && (r.value as number) > 150, 20_000);
    const co = gh.next((r) => r.point === 'gh1.co_above_piston' && (r.value as number) > 24, 25_000);
    sims.startScenario('gas-holder-piston-tilt');
    await Promise.all([tilt, co]);
  }, 30_000);
});

describe('a PLC simulator started without a PKI directory', () => {
  it('keeps its certificates in a temp directory of its own and removes it on stop', async () => {
    const tmp = tempDir('opcua-sims-tmp-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const own = await startPlcSimulators({ plcs: ['gh1'] });
      expect(readdirSync(tmp).filter((n) => n.startsWith('yejin-opcua-sim-'))).toHaveLength(1);
      await own.stop();
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
