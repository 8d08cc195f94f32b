import type { Command } from '../command.js';
import { formatConfigErrors, loadConfigFile } from '../../config/load.js';
import { parseOptions } from '../options.js';
import { describeBlock, planDevice } from '../../../adapters/modbus/plan.js';
import type { ModbusDevice } from '../../../adapters/modbus/config.js';
import { formatDuration } from '../../core/duration.js';

const usage = 'plan --config <file> [--json]';

const MODBUS_TYPES = new Set(['modbus-tcp', 'modbus-rtu', 'modbus-rtu-over-tcp']);

function where(d: ModbusDevice): string {
  return d.type === 'modbus-rtu' ? `${d.serialPort} ${d.baudRate} ${d.dataBits}${d.parity[0]!.toUpperCase()}${d.stopBits}` : `${d.host}:${d.port}`;
}

/** Prints the read requests each Modbus device will get, without opening any connection. */
const command: Command = {
  summary: 'print the planned Modbus read requests per device (touches no device)',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, usage);
    if (!opts.config) throw new Error(`--config is required\nusage: npm run gateway -- ${usage}`);
    const result = loadConfigFile(opts.config);
    if (!result.ok) {
      console.error(formatConfigErrors(opts.config, result.errors));
      return 1;
    }
    const devices = result.config.devices.filter((d): d is ModbusDevice => MODBUS_TYPES.has(d.type));
    if (opts.json) {
      const out = devices.map((d) => ({
        device: d.id,
        type: d.type,
        endpoint: where(d),
        enabled: d.enabled,
        groups: planDevice(d).map((g) => ({
          intervalMs: g.intervalMs,
          requests: g.blocks.map((b) => ({ unitId: b.unitId, table: b.table, start: b.start, count: b.count, points: b.points.map((p) => p.id) })),
        })),
      }));
      console.log(JSON.stringify(out, null, 2));
      return 0;
    }
    if (devices.length === 0) console.log('no Modbus devices in this config');
    let total = 0;
    for (const d of devices) {
      const groups = planDevice(d);
      const n = groups.reduce((s, g) => s + g.blocks.length, 0);
      total += n;
      console.log(`${d.id} (${d.type} ${where(d)}${d.enabled ? '' : ', disabled'}): ${d.points.length} points in ${n} requests`);
      for (const g of groups) {
        console.log(`  every ${formatDuration(g.intervalMs)}:`);
        for (const b of g.blocks) console.log(`    ${describeBlock(b)}`);
      }
    }
    if (devices.length > 0) console.log(`${total} requests per poll cycle over ${devices.length} Modbus devices`);
    return 0;
  },
};
export default command;
