import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { resolveDataDir } from '../data-dir.js';
import { parseOptions } from '../options.js';
import { listBackups, restoreBackup } from '../../store/backups.js';
import { DataDirLock } from '../../store/data-dir-lock.js';
import { ensurePrivateDir } from '../../store/gateway-store.js';

const usage = 'restore (--data-dir <dir> | --config <file>) [--from <backup file>] [--list]';

/**
 * Puts a backup (by default the newest in <dataDir>/backups) in place of gateway.db while no gateway
 * runs on the data directory. The replaced files stay beside it as gateway.db.before-restore-<time>.
 */
const command: Command = {
  summary: 'restore the database from a backup (the newest one by default); the gateway must be stopped',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { 'data-dir': { type: 'string' }, config: { type: 'string', short: 'c' }, from: { type: 'string' }, list: { type: 'boolean' } }, usage);
    if (!opts['data-dir'] && !opts.config) throw new Error(`--data-dir or --config is required\nusage: npm run gateway -- ${usage}`);
    const dataDir = resolveDataDir(opts);
    const backups = listBackups(dataDir);
    if (opts.list) {
      if (backups.length === 0) console.log(`${join(dataDir, 'backups')}: 没有备份 [no backups]`);
      for (const b of backups) console.log(`${b.takenAt.toISOString()}  ${String(b.bytes).padStart(10)} B  ${b.file}`);
      return 0;
    }
    const from = opts.from ?? backups[0]?.file;
    if (!from) {
      console.error(`${join(dataDir, 'backups')} 中没有备份 [no backup to restore]; name one with --from <file>`);
      return 1;
    }
    if (!existsSync(from)) {
      console.error(`备份文件不存在 [no such backup]: ${from}`);
      return 1;
    }
    // Held for the restore: a gateway running on the directory refuses it, and none can start meanwhile.
    ensurePrivateDir(dataDir);
    const lock = DataDirLock.acquire(dataDir);
    try {
      const { replacedAs } = restoreBackup(dataDir, from);
      console.log(`已从备份恢复 [restored] ${join(dataDir, 'gateway.db')} ← ${from}${replacedAs ? `；原文件保留为 ${replacedAs}` : ''}`);
    } finally {
      lock.release();
    }
    return 0;
  },
};
export default command;
