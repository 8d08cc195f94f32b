import type { Command } from '../command.js';
import { formatConfigErrors, loadConfigFile } from '../../config/load.js';
import { parseOptions } from '../options.js';
import { configFindings } from '../../config/equipment-report.js';
import { SEVERITY_INFO } from '../../core/alarm-event.js';

const usage = 'validate --config <file>';

const command: Command = {
  summary: 'check a config file; prints OK or every error with its path (exit 1 on errors)',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' } }, usage);
    if (!opts.config) throw new Error(`--config is required\nusage: npm run gateway -- ${usage}`);
    const result = loadConfigFile(opts.config);
    if (result.ok) {
      const c = result.config;
      const points = c.devices.reduce((n, d) => n + d.points.length, 0);
      console.log(`OK ${opts.config}: gateway ${c.gateway.id}, ${c.devices.length} devices, ${points} points, ${c.rules.length} rules, ${c.equipment.length} equipment`);
      // Findings are about the plant, not the file: the config is valid, the plant has a hidden danger.
      for (const f of configFindings(c)) console.log(`finding [${SEVERITY_INFO[f.severity].zh}] ${f.equipment ? `${f.equipment}: ` : ''}${f.message} (依据: ${f.basis})`);
      return 0;
    }
    console.error(formatConfigErrors(opts.config, result.errors));
    console.error(`${result.errors.length} error(s) in ${opts.config}`);
    return 1;
  },
};
export default command;
