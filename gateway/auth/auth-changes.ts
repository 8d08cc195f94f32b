import type { Db } from '../store/database.js';

/**
 * In-process notice that a user's access changed (account changed or removed, a token revoked), per
 * database connection: the API's and the broker's stores are separate objects on one connection, and
 * SQLite's data_version does not move for a connection's own commits. Another process's changes are
 * found through data_version instead (UserStore.changeStamp).
 */
const listeners = new WeakMap<Db, Set<(user: string) => void>>();

export function onAuthChange(db: Db, fn: (user: string) => void): () => void {
  let set = listeners.get(db);
  if (!set) listeners.set(db, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

export function notifyAuthChange(db: Db, user: string): void {
  for (const fn of listeners.get(db) ?? []) {
    try {
      fn(user);
    } catch {
      // A listener's failure must not fail the change, which is already committed.
    }
  }
}
