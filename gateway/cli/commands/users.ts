import { parseArgs } from 'node:util';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { resolveDataDir } from '../data-dir.js';
import { openDatabase } from '../../store/database.js';
import { UserStore } from '../../auth/user-store.js';
import { isRole, ROLES } from '../../auth/permissions.js';
import { readPassword } from '../../auth/read-password.js';
import { randomPassword } from '../../auth/password.js';
import { SecurityAudit } from '../../auth/security-audit.js';
import { userInfo } from 'node:os';
import { OsUserLinks } from '../../auth/os-user-links.js';
import { osUserNameSchema } from '../../control/config.js';

const usage =
  'users add <name> --role <role> [--areas a,b|*] [--generate] | passwd <name> [--generate] | remove <name> | disable <name> | enable <name> | set <name> [--role <role>] [--areas a,b] | link-os <osuser> <name> | unlink-os <osuser> | list  [--data-dir <dir>] [--config <file>]';

function areasOption(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
}

/**
 * Users of the MQTT broker, the HTTP API and the console (table `users` of <dataDir>/gateway.db).
 * The password is prompted for with echo off, or read from stdin's first line when piped; never from
 * the command line. `--generate` makes a random one and prints it once (for devices).
 */
const command: Command = {
  summary: `manage users (roles: ${ROLES.join(', ')}); passwords are prompted for or piped, never arguments`,
  usage,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          role: { type: 'string' },
          areas: { type: 'string' },
          generate: { type: 'boolean' },
          'data-dir': { type: 'string' },
          config: { type: 'string', short: 'c' },
        },
        strict: true,
        allowPositionals: true,
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nusage: npm run gateway -- ${usage}`, { cause: err });
    }
    const [sub, name, ...extra] = parsed.positionals;
    const opts = parsed.values;
    if (!sub || extra.length > (sub === 'link-os' ? 1 : 0)) throw new Error(`usage: npm run gateway -- ${usage}`);
    if (sub !== 'list' && !name) throw new Error(`users ${sub}: name the user\nusage: npm run gateway -- ${usage}`);
    if (opts.role !== undefined && !isRole(opts.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`);
    const db = openDatabase(join(resolveDataDir(opts), 'gateway.db'));
    try {
      const store = new UserStore(db);
      // Audited like the API's changes; a running gateway sees the change within a second and ends
      // the user's MQTT sessions (broker.ts endStaleSessions).
      const audit = new SecurityAudit(db);
      const cliUser = `cli:${(() => {
        try {
          return userInfo().username;
        } catch {
          return String(process.getuid?.() ?? 'unknown');
        }
      })()}`;
      const record = (action: string, detail?: string) => audit.record({ user: cliUser, action, target: name, detail });
      const newPassword = async (): Promise<string> => {
        if (!opts.generate) return readPassword(`${name} 的密码 [password]: `);
        const pw = randomPassword();
        console.log(`生成的密码 [generated password] ${name}: ${pw}`);
        return pw;
      };
      switch (sub) {
        case 'add': {
          if (!opts.role) throw new Error(`users add: --role is required (${ROLES.join(', ')})`);
          if (store.get(name!)) throw new Error(`user "${name}" already exists (change the password with: users passwd ${name})`);
          const areas = areasOption(opts.areas) ?? ['*'];
          const user = await store.add({ name: name!, password: await newPassword(), role: opts.role, areas });
          record('USER_ADD', `role=${user.role} areas=${user.areas.join(',')}`);
          console.log(`已添加用户 [user added]: ${user.name} role=${user.role} areas=${user.areas.join(',')}`);
          return 0;
        }
        case 'passwd':
          if (!store.get(name!)) throw new Error(`no user "${name}"`);
          await store.setPassword(name!, await newPassword());
          record('USER_CHANGE', 'password changed');
          console.log(`密码已更改 [password changed]: ${name}`);
          return 0;
        case 'remove':
          if (!store.remove(name!)) throw new Error(`no user "${name}"`);
          record('USER_REMOVE');
          console.log(`已删除用户 [user removed]: ${name}`);
          return 0;
        case 'disable':
        case 'enable':
          store.update(name!, { disabled: sub === 'disable' });
          record('USER_CHANGE', `disabled=${sub === 'disable'}`);
          console.log(`${sub === 'disable' ? '已停用 [disabled]' : '已启用 [enabled]'}: ${name}`);
          return 0;
        case 'set': {
          const areas = areasOption(opts.areas);
          const user = store.update(name!, { ...(opts.role ? { role: opts.role } : {}), ...(areas ? { areas } : {}) });
          record('USER_CHANGE', `role=${user.role} areas=${user.areas.join(',')}`);
          console.log(`已更新 [updated]: ${user.name} role=${user.role} areas=${user.areas.join(',')}`);
          return 0;
        }
        case 'link-os': {
          // The CLI's operator commands run as the gateway user an OS account is linked to.
          const osUser = osUserNameSchema.safeParse(name);
          if (!osUser.success) throw new Error(`users link-os: "${name}": ${osUser.error.issues[0]?.message ?? 'not an OS user name'}`);
          const gwUser = extra[0];
          if (!gwUser) throw new Error(`users link-os: name the gateway user\nusage: npm run gateway -- users link-os <osuser> <name>`);
          if (!store.get(gwUser)) throw new Error(`no user "${gwUser}" (add it first: users add ${gwUser} --role operator)`);
          new OsUserLinks(db).link(osUser.data, gwUser);
          console.log(`已关联 [linked]: OS user ${osUser.data} → ${gwUser}`);
          return 0;
        }
        case 'unlink-os':
          if (!new OsUserLinks(db).unlink(name!)) throw new Error(`OS user "${name}" is not linked`);
          console.log(`已取消关联 [unlinked]: OS user ${name}`);
          return 0;
        case 'list': {
          const users = store.list();
          if (users.length === 0) console.log('没有用户 [no users]; add the first admin with: users add <name> --role admin');
          for (const u of users) {
            console.log(`${u.name.padEnd(20)} ${u.role.padEnd(10)} ${u.areas.join(',').padEnd(20)} ${u.disabled ? '停用 disabled' : '启用 enabled'}  updated ${new Date(u.updatedAt).toISOString()}`);
          }
          for (const l of new OsUserLinks(db).list()) console.log(`OS ${l.osUser.padEnd(17)} → ${l.user}`);
          return 0;
        }
        default:
          throw new Error(`unknown users subcommand "${sub}"\nusage: npm run gateway -- ${usage}`);
      }
    } finally {
      db.close();
    }
  },
};
export default command;
