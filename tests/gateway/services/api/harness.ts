import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { UserStore } from '../../../../gateway/auth/user-store.js';
import type { Role } from '../../../../gateway/auth/permissions.js';
import { validateConfig } from '../../../../gateway/config/load.js';
import { silentLogger } from '../../../../gateway/core/logger.js';
import { Gateway } from '../../../../gateway/runtime/gateway.js';
import type { HttpService } from '../../../../gateway/services/http/service.js';
import { openDatabase } from '../../../../gateway/store/database.js';
import { RegisterServer } from '../../../../simulators/modbus/register-server.js';
import { freePort, waitFor } from '../../../helpers/ports.js';

/** Test users: one per role; operators scoped to one area each. Passwords are per run, hashes cheap (ln=10). */
export const USERS: { name: string; role: Role; areas: string[] }[] = [
  { name: 'viewer1', role: 'viewer', areas: ['*'] },
  { name: 'op-gas', role: 'operator', areas: ['gas'] },
  { name: 'op-dust', role: 'operator', areas: ['dust'] },
  { name: 'super1', role: 'supervisor', areas: ['gas'] },
  { name: 'eng1', role: 'engineer', areas: ['*'] },
  { name: 'admin1', role: 'admin', areas: ['*'] },
  { name: 'sensor1', role: 'device', areas: ['*'] },
];
export const PASSWORD = 'correct horse battery staple';

export interface Plant {
  gateway: Gateway;
  plc: RegisterServer;
  base: string;
  app: FastifyInstance;
  dir: string;
  /** Sets CO at the booster room (ppm; H 24, HH 160) and the dust hopper temperature (°C; H 80). */
  setCo(ppm: number): void;
  setDust(c: number): void;
  waitState(alarmId: string, state: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PlantOptions {
  http?: Record<string, unknown>;
  history?: Record<string, unknown>;
  /** The hiddenDanger section (gateway/services/hidden-danger), off when absent. */
  hiddenDanger?: Record<string, unknown>;
  influx?: Record<string, unknown>;
}

/** A real gateway polling a Modbus simulator with two points in two areas, its HTTP server on a free port. */
export async function startPlant(o: PlantOptions = {}): Promise<Plant> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-api-'));
  const dataDir = join(dir, 'data');
  const db = openDatabase(join(dataDir, 'gateway.db'));
  const store = new UserStore(db, { hashParams: { ln: 10, r: 8, p: 1 } });
  for (const u of USERS) await store.add({ ...u, password: PASSWORD });
  db.close();
  const plc = new RegisterServer();
  const modbusPort = await plc.start();
  const parsed = validateConfig({
    gateway: { id: 'api-gw', enterprise: { name: '测试钢铁', creditCode: '91350100M000100Y43' }, summaryInterval: 0 },
    mqtt: { port: await freePort() },
    http: { port: 0, ...o.http },
    storage: { dataDir },
    history: { minInterval: '100ms', flushInterval: '200ms', ...o.history },
    ...(o.hiddenDanger ? { hiddenDanger: o.hiddenDanger } : {}),
    ...(o.influx ? { influx: o.influx } : {}),
    devices: [
      {
        id: 'plc',
        type: 'modbus-tcp',
        host: '127.0.0.1',
        port: modbusPort,
        pollInterval: '100ms',
        points: [
          { id: 'booster.co', name: '加压机房一氧化碳', equipment: '煤气加压机房', area: 'gas', unit: 'ppm', range: { low: 0, high: 1000 }, table: 'holding', address: 0, limits: { H: { value: 24, severity: 2 }, HH: { value: 160, severity: 3 }, basis: 'GB 6222-2005《工业企业煤气安全规程》' } },
          { id: 'dc.hopper_temp', name: '除尘器灰斗温度', equipment: '1#除尘器', area: 'dust', unit: '°C', range: { low: 0, high: 200 }, table: 'holding', address: 1, limits: { H: { value: 80, severity: 2 } } },
        ],
      },
    ],
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const gateway = new Gateway({ config: parsed.config, log: silentLogger, write: () => undefined });
  await gateway.start();
  const base = gateway.httpAddress!;
  const app = gateway.service<HttpService>('http')!.instance!;
  const plant: Plant = {
    gateway,
    plc,
    base,
    app,
    dir,
    setCo: (ppm) => plc.bank(1).write('holding', 0, ppm, 'uint16'),
    setDust: (c) => plc.bank(1).write('holding', 1, c, 'uint16'),
    waitState: async (alarmId, state) => {
      await waitFor(() => gateway.alarms.get(alarmId).state === state, 10_000, `${alarmId} ${state}`);
    },
    stop: async () => {
      await gateway.stop();
      await plc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return plant;
}

/** How a client sends a request: fetch over real HTTP, or fastify's inject. */
export type Transport = (method: string, path: string, headers: Record<string, string>, body: string | undefined) => Promise<Response>;

export function httpTransport(base: string): Transport {
  return (method, path, headers, body) => fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
}

export function injectTransport(app: FastifyInstance): Transport {
  return async (method, path, headers, body) => {
    const r = await app.inject({ method: method as 'GET', url: path, headers, ...(body !== undefined ? { payload: body } : {}) });
    const h = new Headers();
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    return new Response(r.statusCode === 204 ? null : new Uint8Array(r.rawPayload), { status: r.statusCode, headers: h });
  };
}

/** A logged-in client: keeps the cookie and sends the CSRF token on writes. */
export class Client {
  cookie = '';
  csrf = '';
  private readonly send: Transport;
  constructor(target: string | FastifyInstance) {
    this.send = typeof target === 'string' ? httpTransport(target) : injectTransport(target);
  }

  static async login(target: string | FastifyInstance, name: string, password = PASSWORD): Promise<Client> {
    const c = new Client(target);
    const res = await c.post('/api/v1/auth/login', { name, password });
    if (res.status !== 200) throw new Error(`login ${name}: ${res.status} ${await res.text()}`);
    return c;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (body !== undefined) h['content-type'] = 'application/json';
    const res = await this.send(method, path, h, body !== undefined ? JSON.stringify(body) : undefined);
    const set = res.headers.get('set-cookie');
    if (set) {
      this.cookie = set.split(';')[0]!;
      if (this.cookie.endsWith('=')) this.cookie = '';
    }
    if (path === '/api/v1/auth/login' && res.status === 200) this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    return res;
  }
  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }
}
