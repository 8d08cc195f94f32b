import { z } from 'zod';
import { migrate, type Db, type Migration } from '../store/database.js';
import { hashPassword, OWASP_SCRYPT, verifyPassword, type ScryptParams } from './password.js';
import { ROLES, type Principal, type Role } from './permissions.js';
import { notifyAuthChange, onAuthChange } from './auth-changes.js';

export const USER_MIGRATIONS: readonly Migration[] = [
  {
    id: 'auth-001',
    sql: `
      CREATE TABLE users (
        name TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        role TEXT NOT NULL,
        areas TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
];

/**
 * User names: what mosquitto's password file, MQTT topic levels (a device's name is its ingest topic
 * level) and log lines all take without quoting. No ':' (the password-file separator), no '/', '+',
 * '#' (topic syntax), no spaces or control characters.
 */
export const userNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/, 'a user name is letters, digits and _ . @ - (starting with a letter or digit)');
export const areaSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(\*|[A-Za-z0-9_.\-\u4e00-\u9fff]+)$/, "an area is a name of letters, digits, Chinese characters, _ . - or '*' for all areas");
export const roleSchema = z.enum(ROLES);
/** Passwords: at least 12 characters (generated ones are 24); the upper bound keeps a login cheap to refuse. */
export const passwordSchema = z.string().min(12, 'a password needs at least 12 characters').max(1024);

export const newUserSchema = z.strictObject({
  name: userNameSchema,
  password: passwordSchema,
  role: roleSchema,
  areas: z.array(areaSchema).min(1).default(['*']),
});
export type NewUser = z.input<typeof newUserSchema>;

export interface User extends Principal {
  createdAt: number;
  updatedAt: number;
  disabled: boolean;
}

interface Row {
  name: string;
  hash: string;
  role: string;
  areas: string;
  created_at: number;
  updated_at: number;
  disabled: number;
}

const storedAreas = z.array(z.string());

function toUser(row: Row): User {
  const role = roleSchema.safeParse(row.role);
  const areas = (() => {
    try {
      return storedAreas.parse(JSON.parse(row.areas));
    } catch {
      return undefined;
    }
  })();
  // A row edited by hand into nonsense grants nothing rather than failing every login.
  const broken = !role.success || !areas;
  return {
    name: row.name,
    role: role.success ? role.data : 'viewer',
    areas: areas ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    disabled: broken || row.disabled !== 0,
  };
}

/**
 * Bounds concurrent scrypt runs: each takes 128 MiB for a few hundred ms, so a burst of logins (or an
 * attacker's) must queue rather than take the gateway's memory.
 */
class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await job();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
  get queued(): number {
    return this.waiting.length;
  }
}

export interface UserStoreOptions {
  /** scrypt parameters for new hashes; OWASP's by default. Tests may lower them (ln ≥ 10). */
  hashParams?: ScryptParams;
  /** Concurrent password checks (each 128 MiB with the default parameters). */
  maxConcurrentHashes?: number;
}

/**
 * The gateway's users, in the `users` table of gateway.db: one store for the MQTT broker, the HTTP
 * API and the console. Read on every login (no cache), so `users passwd` or `users remove` from the
 * CLI takes effect at the next login of a running gateway. There is no default user or password.
 */
export class UserStore {
  private readonly params: ScryptParams;
  private readonly gate: Gate;
  private dummyHash: Promise<string> | undefined;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    options: UserStoreOptions = {},
  ) {
    migrate(db, USER_MIGRATIONS);
    this.params = options.hashParams ?? OWASP_SCRYPT;
    this.gate = new Gate(options.maxConcurrentHashes ?? 2);
    this.stmt = {
      get: db.prepare('SELECT * FROM users WHERE name = ?'),
      list: db.prepare('SELECT * FROM users ORDER BY name'),
      insert: db.prepare('INSERT INTO users (name, hash, role, areas, created_at, updated_at, disabled) VALUES (?, ?, ?, ?, ?, ?, 0)'),
      setHash: db.prepare('UPDATE users SET hash = ?, updated_at = ? WHERE name = ?'),
      remove: db.prepare('DELETE FROM users WHERE name = ?'),
    };
  }

  get(name: string): User | undefined {
    const row = this.stmt.get.get(name) as Row | undefined;
    return row ? toUser(row) : undefined;
  }

  list(): User[] {
    return (this.stmt.list.all() as Row[]).map(toUser);
  }

  async add(input: NewUser): Promise<User> {
    const u = newUserSchema.parse(input);
    if (this.get(u.name)) throw new Error(`user "${u.name}" already exists (change the password with: users passwd ${u.name})`);
    const hash = await this.gate.run(() => hashPassword(u.password, this.params));
    const now = Date.now();
    this.stmt.insert.run(u.name, hash, u.role, JSON.stringify([...new Set(u.areas)]), now, now);
    return this.get(u.name)!;
  }

  async setPassword(name: string, password: string): Promise<void> {
    const pw = passwordSchema.parse(password);
    if (!this.get(name)) throw new Error(`no user "${name}"`);
    const hash = await this.gate.run(() => hashPassword(pw, this.params));
    this.stmt.setHash.run(hash, Date.now(), name);
    this.changed(name);
  }

  /** Changes role, areas or the disabled flag. */
  update(name: string, change: { role?: Role; areas?: string[]; disabled?: boolean }): User {
    const current = this.get(name);
    if (!current) throw new Error(`no user "${name}"`);
    const role = change.role !== undefined ? roleSchema.parse(change.role) : current.role;
    const areas = change.areas !== undefined ? z.array(areaSchema).min(1).parse(change.areas) : current.areas;
    const disabled = change.disabled ?? current.disabled;
    this.db.prepare('UPDATE users SET role = ?, areas = ?, disabled = ?, updated_at = ? WHERE name = ?').run(role, JSON.stringify([...new Set(areas)]), disabled ? 1 : 0, Date.now(), name);
    this.changed(name);
    return this.get(name)!;
  }

  remove(name: string): boolean {
    const removed = this.stmt.remove.run(name).changes > 0;
    if (removed) this.changed(name);
    return removed;
  }

  /**
   * Calls `fn` with the name of every user changed (password, role, areas, disabled) or removed, or
   * whose API token was revoked, through any store on this database connection, at once. Changes by another process (the
   * `users` CLI) are seen through `changeStamp`. Returns the unsubscribe function.
   */
  onChange(fn: (name: string) => void): () => void {
    return onAuthChange(this.db, fn);
  }

  /** SQLite's data_version: it changes when another connection (another process) commits to the database. */
  changeStamp(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private changed(name: string): void {
    notifyAuthChange(this.db, name);
  }

  /**
   * The user when `password` is theirs and the account is enabled, else undefined. An unknown name
   * costs the same scrypt run as a known one, so timing does not tell which names exist.
   */
  async authenticate(name: string, password: string): Promise<User | undefined> {
    if (typeof name !== 'string' || typeof password !== 'string' || password.length > 1024) return undefined;
    const row = name.length <= 64 ? (this.stmt.get.get(name) as Row | undefined) : undefined;
    const hash = row?.hash ?? (await (this.dummyHash ??= hashPassword('no such user: timing equaliser', this.params)));
    const ok = await this.gate.run(() => verifyPassword(password, hash));
    if (!ok || !row) return undefined;
    const user = toUser(row);
    return user.disabled ? undefined : user;
  }

  /** Password checks waiting for a free slot (a login burst is visible in metrics). */
  get pendingChecks(): number {
    return this.gate.queued;
  }
}
