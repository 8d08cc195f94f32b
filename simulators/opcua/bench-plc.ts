import { PlcModel, UNITS, type ScenarioInfo, type SimSignal } from './model.js';

/**
 * A synthetic PLC with many analog tags that all change every tick, for the OPC UA throughput
 * benchmark (tests/bench/opcua-bench.ts). Tags: ns=1;s=BENCH.T00000 … , temperature-like values.
 */
export class BenchPlc extends PlcModel {
  readonly id = 'bench';
  readonly folder = 'BENCH';
  readonly title = 'Benchmark PLC';
  readonly signals: readonly SimSignal[];
  readonly scenarios: readonly ScenarioInfo[] = [];

  constructor(readonly count: number) {
    super(99);
    this.signals = Array.from({ length: count }, (_, i) => ({
      key: `t${String(i).padStart(5, '0')}`,
      browseName: `T${String(i).padStart(5, '0')}`,
      name: `测点${i}`,
      kind: 'analog' as const,
      unit: UNITS.degC,
      range: { low: 0, high: 1000 },
    }));
    this.signals.forEach((s, i) => this.state.set(s.key, 100 + (i % 500)));
  }

  protected step(): void {
    // Every tag moves every tick, so every sample is a change the client must receive.
    for (const s of this.signals) this.state.set(s.key, (this.state.get(s.key) as number) + (this.random() < 0.5 ? -0.1 : 0.1));
  }

  protected resetAfterScenario(): void {}
}
