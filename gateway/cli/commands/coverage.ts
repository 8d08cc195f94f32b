import type { Command } from '../command.js';
import { formatConfigErrors, loadConfigFile } from '../../config/load.js';
import { parseOptions } from '../options.js';
import { coverageReport } from '../../config/equipment-report.js';

const usage = 'coverage --config <file> [--json]';

/**
 * Fixed CO detector coverage (判定标准 第四条(六)): the required places of the config's
 * `co-detectors` equipment with no detector, and detectors whose alarms reach no 24-hour staffed
 * console (`alarms.staffedAreas`). Exit 0 when complete, 2 when something is missing.
 */
const command: Command = {
  summary: 'list required places without a fixed CO detector and detectors not reaching a 24-hour staffed console (exit 2 on gaps)',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, usage);
    if (!opts.config) throw new Error(`--config is required\nusage: npm run gateway -- ${usage}`);
    const result = loadConfigFile(opts.config);
    if (!result.ok) {
      console.error(formatConfigErrors(opts.config, result.errors));
      return 1;
    }
    const r = coverageReport(result.config);
    const gaps = r.uncovered.length + r.unstaffed.length;
    if (opts.json) {
      console.log(JSON.stringify(r, null, 2));
      return gaps > 0 ? 2 : 0;
    }
    if (!result.config.equipment.some((e) => e.type === 'co-detectors')) {
      console.log(`${opts.config}: 未声明固定式一氧化碳报警器 (equipment type co-detectors)；无法核查覆盖`);
      return 2;
    }
    console.log(`未设置固定式一氧化碳报警器的场所 (places without a detector): ${r.uncovered.length}`);
    for (const u of r.uncovered) console.log(`  ${u.location} ${u.locationName}  ${u.name} [${u.equipment}/${u.place}]${u.gatheringRoom ? '  人员聚集场所' : ''}`);
    console.log(`报警未接入24小时有人值守场所的报警器 (detectors not reaching a staffed console): ${r.unstaffed.length}  (alarms.staffedAreas: ${r.staffedAreas.join(', ') || '无'})`);
    for (const u of r.unstaffed) console.log(`  ${u.point} ${u.name}  ${u.place}  area=${u.area}`);
    console.log(gaps === 0 ? '覆盖完整 (coverage complete)' : `依据: 《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 第四条(六)`);
    return gaps > 0 ? 2 : 0;
  },
};
export default command;
