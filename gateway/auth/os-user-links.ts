import { migrate, type Db, type Migration } from '../store/database.js';

export const OS_USER_LINK_MIGRATIONS: readonly Migration[] = [
  {
    id: 'auth-os-links-001',
    sql: `
      CREATE TABLE os_user_links (
        os_user TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];

export interface OsUserLink {
  osUser: string;
  user: string;
  createdAt: number;
}

/**
 * Which gateway user an OS account acts as on the control socket (table os_user_links of gateway.db),
 * so the CLI's actions pass the same role and area checks as the API's. Read at every connection:
 * `users link-os` / `unlink-os` take effect at once on a running gateway.
 */
export class OsUserLinks {
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, OS_USER_LINK_MIGRATIONS);
    this.stmt = {
      get: db.prepare('SELECT user FROM os_user_links WHERE os_user = ?'),
      list: db.prepare('SELECT os_user, user, created_at FROM os_user_links ORDER BY os_user'),
      upsert: db.prepare('INSERT INTO os_user_links (os_user, user, created_at) VALUES (?, ?, ?) ON CONFLICT (os_user) DO UPDATE SET user = excluded.user, created_at = excluded.created_at'),
      remove: db.prepare('DELETE FROM os_user_links WHERE os_user = ?'),
    };
  }

  userOf(osUser: string): string | undefined {
    return (this.stmt.get.get(osUser) as { user: string } | undefined)?.user;
  }

  link(osUser: string, user: string, now = Date.now()): void {
    this.stmt.upsert.run(osUser, user, now);
  }

  unlink(osUser: string): boolean {
    return this.stmt.remove.run(osUser).changes > 0;
  }

  list(): OsUserLink[] {
    return (this.stmt.list.all() as { os_user: string; user: string; created_at: number }[]).map((r) => ({ osUser: r.os_user, user: r.user, createdAt: r.created_at }));
  }
}
