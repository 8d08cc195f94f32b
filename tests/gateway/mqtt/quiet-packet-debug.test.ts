import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const QUIET = new URL('../../../gateway/mqtt/quiet-packet-debug.ts', import.meta.url).href;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs a script in a fresh Node process (the module acts on the CommonJS module cache, which this
 * test process shares with others): first the gateway's first import, then mqtt-packet, as the CLI
 * loads them. Prints one JSON line.
 */
function run(env: Record<string, string>): { packets: unknown[]; parserLogger: string; otherLogger: string; stderr: string } {
  const script = `
    await import(${JSON.stringify(QUIET)});
    const { createRequire } = await import('node:module');
    const require = createRequire(${JSON.stringify(ROOT + 'package.json')});
    const mqttPacket = require('mqtt-packet');
    const debug = require(require.resolve('debug', { paths: [require('node:path').dirname(require.resolve('mqtt-packet/package.json'))] }));
    const packets = [];
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => packets.push({ cmd: p.cmd, topic: p.topic, payload: p.payload.toString() }));
    for (let i = 0; i < 3; i++) parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'gw/x/ingest/d' + i, payload: '{"point":"p","value":' + i + '}', qos: 0, dup: false, retain: false }));
    process.stdout.write(JSON.stringify({ packets, parserLogger: debug('mqtt-packet:parser').name, otherLogger: debug('modbus-serial').name }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, DEBUG: '', ...env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`script failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout) as { packets: unknown[]; parserLogger: string; otherLogger: string }), stderr: r.stderr };
}

describe('quiet mqtt-packet debug loggers', () => {
  it('replaces the disabled loggers of mqtt-packet with one that allocates nothing; packets parse as before; other packages keep theirs', () => {
    const r = run({});
    expect(r.packets).toEqual([0, 1, 2].map((i) => ({ cmd: 'publish', topic: `gw/x/ingest/d${i}`, payload: `{"point":"p","value":${i}}` })));
    expect(r.parserLogger).toBe('quietDebug');
    expect(r.otherLogger).toBe('debug');
    expect(r.stderr).toBe('');
  });

  it('DEBUG=mqtt-packet:* at start-up still gives their full output', () => {
    const r = run({ DEBUG: 'mqtt-packet:*' });
    expect(r.packets).toHaveLength(3);
    expect(r.parserLogger).toBe('debug');
    expect(r.stderr).toMatch(/mqtt-packet:parser _parsePublish/);
  });
});
