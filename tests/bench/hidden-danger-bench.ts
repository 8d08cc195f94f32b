// The hidden-danger deadline check on 10,000 open records: its cost per check while no record is
// near its deadline, and while all are overdue (a burst of escalations is spread over several checks).
// Run: npx tsx tests/bench/hidden-danger-bench.ts   (prints one JSON object as its last line)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../gateway/core/logger.js';
import { hiddenDangerSectionSchema } from '../../gateway/services/hidden-danger/config.js';
import { HiddenDangerLoop } from '../../gateway/services/hidden-danger/loop.js';
import { HiddenDangerStore } from '../../gateway/services/hidden-danger/store.js';
import { openDatabase } from '../../gateway/store/database.js';

const RECORDS = 10_000;
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'hd-bench-'));
const db = openDatabase(join(dir, 'gateway.db'), { synchronous: 'NORMAL' });
const store = new HiddenDangerStore(db);
const config = hiddenDangerSectionSchema.parse({ deadlines: { general: '60d' } });
const t0 = Date.now();
const at = (offset: number) => new HiddenDangerLoop({ store, config, now: () => t0 + offset, equipmentOf: () => undefined, log: silentLogger });
const op = { name: 'op', role: 'operator' as const, areas: ['*'] };
const registerStart = performance.now();
db.transaction(() => {
  const loop = at(0);
  for (let i = 0; i < RECORDS; i++) loop.register({ dangerName: `隐患 ${i}`, dangerDesc: '巡检发现'.repeat(20), area: 'gas', dangerLevel: 'general', dangerSrc: 'daily', dangerManageType: 'deadline', alarmIds: [] }, op);
})();
const registerMs = performance.now() - registerStart;
const time = (loop: HiddenDangerLoop, runs: number) => {
  const ms: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t = performance.now();
    loop.checkDeadlines();
    ms.push(performance.now() - t);
  }
  return Math.round(Math.max(...ms.slice(1)) * 10) / 10;
};
const quietCheckMs = time(at(DAY), 5);
const overdueBurstCheckMs = time(at(100 * DAY), 5);
db.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ records: RECORDS, registerPerSec: Math.round(RECORDS / (registerMs / 1000)), quietCheckMs, overdueBurstCheckMs }));
