/**
 * A plant-sized config as YAML text: `points` Modbus points on devices of 100 points each (CO
 * with a preset, temperatures with their own limits, discrete faults), one rule per 50 points, and
 * a suppression entry. Used by the big-config test and the validate benchmark.
 */
export function bigConfigYaml(points: number): string {
  const out: string[] = ['gateway: { id: big-gw, enterprise: { name: 测试钢铁, creditCode: 91350100M000100Y43 } }', 'devices:'];
  const perDevice = 100;
  const devices = Math.ceil(points / perDevice);
  for (let d = 0; d < devices; d++) {
    out.push(`  - id: plc${d}`, '    type: modbus-tcp', `    host: 10.0.${Math.floor(d / 250)}.${(d % 250) + 1}`, '    points:');
    for (let i = 0; i < perDevice && d * perDevice + i < points; i++) {
      const id = `d${d}.p${i}`;
      if (i % 3 === 0) out.push(`      - { id: ${id}, name: 一氧化碳${d}-${i}, unit: ppm, area: gas${d % 20}, table: holding, address: ${i}, limits: { preset: CO_GAS_AREA } }`);
      else if (i % 3 === 1) out.push(`      - { id: ${id}, name: 温度${d}-${i}, unit: °C, area: bf${d % 20}, table: holding, address: ${i}, range: { low: 0, high: 200 }, limits: { H: 70, HH: 90, deadband: '1%' } }`);
      else out.push(`      - { id: ${id}, name: 故障${d}-${i}, table: discrete, address: ${i} }`);
    }
  }
  out.push('rules:');
  for (let r = 0; r < Math.floor(points / 50); r++) {
    const d = r % devices;
    out.push(`  - { id: r${r}, kind: discrete, point: d${d}.p${(Math.floor(r / devices) * 3 + 2) % perDevice} }`);
  }
  out.push('suppression:', `  - { id: s0, when: { point: d0.p2, equals: true }, points: [d0.p0, d0.p1], reason: 故障停机 }`);
  return out.join('\n') + '\n';
}
