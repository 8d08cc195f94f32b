/** Config texts for the config-loading tests. */
export const HEAD = `gateway: { id: gw1, enterprise: { name: 测试钢铁, creditCode: 91350100M000100Y43 } }\n`;
/** `n` CO points that all share one limits block through a YAML anchor, as engineers write it. */
export function anchoredConfig(n: number): string {
  const points = Array.from({ length: n }, (_, i) =>
    i === 0
      ? `      - { id: co0, name: 一氧化碳0, unit: ppm, table: holding, address: 0, limits: &co { H: 24, HH: 160, deadband: 2 } }`
      : `      - { id: co${i}, name: 一氧化碳${i}, unit: ppm, table: holding, address: ${i}, limits: *co }`,
  );
  return `${HEAD}devices:\n  - id: plc\n    type: modbus-tcp\n    host: 127.0.0.1\n    points:\n${points.join('\n')}\n`;
}

/** The classic alias bomb: each level is ten copies of the one before. */
export function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  return `${HEAD}${lines.join('\n')}\n`;
}
