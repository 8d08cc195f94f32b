import { stringify } from 'yaml';
import type { Command } from '../command.js';
import { formatConfigErrors, loadConfigFile } from '../../config/load.js';
import { parseOptions } from '../options.js';
import { expansionReport } from '../../config/equipment-report.js';

const usage = 'expand --config <file> [--equipment <id>]';

/** Prints, as YAML, the limits and rules the config's equipment expands into, with overrides marked. */
const command: Command = {
  summary: "print the limits, rules and findings of the config's equipment as YAML (overrides marked)",
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' }, equipment: { type: 'string' } }, usage);
    if (!opts.config) throw new Error(`--config is required\nusage: npm run gateway -- ${usage}`);
    const result = loadConfigFile(opts.config);
    if (!result.ok) {
      console.error(formatConfigErrors(opts.config, result.errors));
      return 1;
    }
    let report = expansionReport(result.config);
    if (opts.equipment !== undefined) {
      report = report.filter((r) => r.id === opts.equipment);
      if (report.length === 0) {
        console.error(`no equipment "${opts.equipment}" in ${opts.config}; equipment: ${result.config.equipment.map((e) => e.id).join(', ') || '(none)'}`);
        return 1;
      }
    }
    process.stdout.write(stringify({ equipment: report }, { lineWidth: 0 }));
    return 0;
  },
};
export default command;
