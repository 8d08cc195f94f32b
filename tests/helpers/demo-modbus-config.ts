import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEMO_CONFIG } from '../../gateway/cli/commands/demo.js';

/**
 * The demo config without its OPC UA PLCs (devices and the rules on their points), written into `dir`:
 * the demo's Modbus half starts in seconds where the OPC UA servers take tens on a busy host.
 */
export function writeDemoModbusConfig(dir: string): string {
  const config = parse(readFileSync(DEMO_CONFIG, 'utf8')) as { devices: { id: string; type: string }[]; rules: { id: string }[] };
  const opcua = config.devices.filter((d) => d.type === 'opcua').map((d) => d.id.replace(/-plc$/, ''));
  config.devices = config.devices.filter((d) => d.type !== 'opcua');
  config.rules = config.rules.filter((r) => !opcua.some((prefix) => r.id.startsWith(prefix)));
  const file = join(dir, 'demo-modbus.yaml');
  writeFileSync(file, stringify(config));
  return file;
}
