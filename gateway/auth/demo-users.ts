import { join } from 'node:path';
import { openDatabase } from '../store/database.js';
import { randomPassword } from './password.js';
import { UserStore } from './user-store.js';
import type { Role } from './permissions.js';

export interface DemoUser {
  name: string;
  role: Role;
  password: string;
}

/** One user per role for the demo; `demo-sensor` is the MQTT sensor simulator's device account. */
export const DEMO_USERS: readonly { name: string; role: Role }[] = [
  { name: 'demo-viewer', role: 'viewer' },
  { name: 'demo-operator', role: 'operator' },
  { name: 'demo-supervisor', role: 'supervisor' },
  { name: 'demo-engineer', role: 'engineer' },
  { name: 'demo-admin', role: 'admin' },
  { name: 'demo-sensor', role: 'device' },
];

/**
 * Creates the demo users in <dataDir>/gateway.db, or gives existing ones a new random password: the
 * demo has no fixed password anywhere, and prints these on start.
 */
export async function createDemoUsers(dataDir: string): Promise<DemoUser[]> {
  const db = openDatabase(join(dataDir, 'gateway.db'));
  try {
    const store = new UserStore(db);
    return await Promise.all(
      DEMO_USERS.map(async ({ name, role }) => {
        const password = randomPassword();
        if (store.get(name)) {
          store.update(name, { role, areas: ['*'], disabled: false });
          await store.setPassword(name, password);
        } else await store.add({ name, password, role, areas: ['*'] });
        return { name, role, password };
      }),
    );
  } finally {
    db.close();
  }
}

export function formatDemoUsers(users: readonly DemoUser[]): string {
  return ['演示用户 [demo users] (每次启动重新生成密码 / new passwords on every start):', ...users.map((u) => `  ${u.name.padEnd(16)} ${u.role.padEnd(10)} ${u.password}`)].join('\n');
}
