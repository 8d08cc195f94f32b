import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadConfigFile, validateConfig } from '../../gateway/config/load.js';
import { COMMANDS } from '../../gateway/cli/commands.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { DASHBOARD_DIR, GRAFANA_DIR, PROVIDER_FILE, defaultMeasurements, providerProvisioningSchema, provisionedDatasource, readYaml } from './grafana.js';
import { SCRAPE_CONFIG_FILE, provisionedPrometheus, scrapeConfig } from './prometheus-dashboard.js';

/*
 * The machine that builds this project has no Docker engine, so the compose stack is checked
 * statically: every path, name and port the three containers share must line up.
 */

const serviceSchema = z
  .object({
    image: z.string().optional(),
    build: z.union([z.string(), z.object({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
    command: z.union([z.string(), z.array(z.string())]).optional(),
    environment: z.union([z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), z.array(z.string())]).optional(),
    volumes: z.array(z.string()).optional(),
    ports: z.array(z.string()).optional(),
    depends_on: z.union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string() }))]).optional(),
  })
  .passthrough();
const composeSchema = z.object({ services: z.record(z.string(), serviceSchema), volumes: z.record(z.string(), z.unknown().nullable()).optional() }).passthrough();
type Service = z.infer<typeof serviceSchema>;

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const compose = composeSchema.parse(parseYaml(readFileSync(COMPOSE_FILE, 'utf8')));
const services = compose.services;

/**
 * Compose variable interpolation with the defaults the file gives (`${VAR:-default}`), no environment.
 * A required variable (`${VAR:?message}`) has no value here: it stays as written.
 */
function interpolate(text: string): string {
  return text.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, def: string | undefined) => def ?? '');
}

/** `${VAR:?message}` references: compose refuses to start while VAR is unset or empty. */
function requiredVariables(text: string): string[] {
  return [...text.matchAll(/\$\{(\w+):\?[^}]+\}/g)].map((m) => m[1]!);
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
  bind: boolean;
}

function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    const [source = '', target = '', mode] = interpolate(v).split(':');
    return { source, target, readOnly: mode === 'ro', bind: source.startsWith('.') || source.startsWith('/') };
  });
}

function env(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) return Object.fromEntries(s.environment.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
}

/** Host path of a container path, through the service's bind mounts (longest target first). */
function hostPath(s: Service, containerPath: string): string | undefined {
  const m = mounts(s)
    .filter((x) => x.bind && (containerPath === x.target || containerPath.startsWith(x.target + '/')))
    .sort((a, b) => b.target.length - a.target.length)[0];
  return m ? join(REPO_ROOT, m.source, posix.relative(m.target, containerPath)) : undefined;
}

function commandArgs(s: Service): string[] {
  const c = s.command ?? [];
  return (Array.isArray(c) ? c : c.split(/\s+/)).map(interpolate);
}

function publishedContainerPorts(s: Service): number[] {
  return (s.ports ?? []).map((p) => Number(p.split(':').at(-1)!.split('/')[0]));
}

/** Host address of each published port of a container port ('' when published on every interface). */
function publishedHostAddresses(s: Service, containerPort: number): string[] {
  return (s.ports ?? [])
    .map((p) => p.split(':'))
    .filter((parts) => Number(parts.at(-1)!.split('/')[0]) === containerPort)
    .map((parts) => (parts.length === 3 ? parts[0]! : ''));
}

const gateway = services['gateway']!;
const influxdb = services['influxdb']!;
const grafana = services['grafana']!;
const prometheus = services['prometheus']!;

const configArgs = commandArgs(gateway);
const configContainerPath = configArgs[configArgs.indexOf('--config') + 1]!;
const configHostPath = hostPath(gateway, configContainerPath);

describe('docker-compose.yml (static checks only: no Docker engine on this machine)', () => {
  it('static: has the gateway, influxdb, prometheus and grafana services, each with an image or a build', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['gateway', 'influxdb', 'prometheus', 'grafana']));
    for (const [name, s] of Object.entries(services)) expect(s.image !== undefined || s.build !== undefined, `${name}: neither image nor build`).toBe(true);
    expect(influxdb.image).toMatch(/^influxdb:1\.8/);
    expect(grafana.image).toMatch(/^grafana\/grafana-oss/);
    expect(prometheus.image).toMatch(/^prom\/prometheus:v2\.\d+\.\d+$/);
  });

  it("static: no default passwords: Grafana's admin password is required from the environment, and the header says so", () => {
    const raw = (grafana.environment as Record<string, string>)['GF_SECURITY_ADMIN_PASSWORD'];
    expect(raw).toBe('${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD}');
    expect(requiredVariables(raw!)).toEqual(['GRAFANA_ADMIN_PASSWORD']);
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    // No credential anywhere falls back to a value written in the file.
    expect(text).not.toMatch(/\$\{\w*(PASSWORD|SECRET|TOKEN)\w*:?-/i);
    const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
    expect(header).toContain('GRAFANA_ADMIN_PASSWORD');
    expect(header).toMatch(/no default/);
    expect(header).not.toMatch(/default admin/);
  });

  it('static: every bind-mounted host path exists in the repo, every named volume is declared', () => {
    let binds = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        expect(m.target, `${name}: ${m.source}`).toMatch(/^\//);
        if (m.bind) {
          binds++;
          expect(existsSync(join(REPO_ROOT, m.source)), `${name}: host path ${m.source} does not exist`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source} not declared`).toContain(m.source);
        }
      }
    }
    expect(binds).toBeGreaterThanOrEqual(3);
  });

  it('static: the gateway build context has the Dockerfile, and every path it COPYs exists', () => {
    const build = typeof gateway.build === 'string' ? { context: gateway.build, dockerfile: 'Dockerfile' } : gateway.build!;
    const context = join(REPO_ROOT, build.context);
    const dockerfile = readFileSync(join(context, build.dockerfile ?? 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim/m);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/python3 make g\+\+/); // better-sqlite3 compiles when no prebuilt binary fits
    expect(dockerfile).toMatch(/EXPOSE 1883/);
    // The image runs the compiled build, its default command the one docker-compose.yml spells out.
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    expect(dockerfile).toContain('CMD ["node", "dist/gateway/cli/main.js", "run", "--config", "/config/plant.yaml"]');
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/).slice(0, -1)).flat();
    expect(copies).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'gateway', 'adapters', 'rules']));
    for (const c of copies) expect(existsSync(join(context, c)), `Dockerfile COPY ${c}`).toBe(true);
    const ignore = readFileSync(join(context, '.dockerignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', '.data', 'dist']));
  });

  it('the image preloads jemalloc (Dockerfile ENV LD_PRELOAD), without a background thread, and it really takes effect in node on Debian', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const preload = /^ENV .*\bLD_PRELOAD=(\S+)/m.exec(runtimeStage)?.[1];
    expect(preload).toBe('libjemalloc.so.2');
    // background_thread deadlocked a soak gateway in fork() (README "Memory"): not set.
    expect(runtimeStage).not.toMatch(/^ENV .*MALLOC_CONF/m);
    expect(runtimeStage).toMatch(/apt-get install -y --no-install-recommends libjemalloc2/);
    // The same soname, resolved by the loader as in the image (Debian's libjemalloc2, installed by .ci/run);
    // jemalloc would name a purging thread jemalloc_bg_thd.
    const probe = `const fs = require('node:fs');
      const a = []; for (let i = 0; i < 20000; i++) a.push(Buffer.alloc(1000)); a.length = 0;
      setTimeout(() => process.stdout.write(JSON.stringify({
        jemalloc: fs.readFileSync('/proc/self/maps', 'utf8').includes('libjemalloc'),
        threads: fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim()),
      })), 500);`;
    const r = spawnSync(process.execPath, ['-e', probe], { env: { ...process.env, LD_PRELOAD: preload }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const seen = JSON.parse(r.stdout) as { jemalloc: boolean; threads: string[] };
    expect(seen.jemalloc).toBe(true);
    expect(seen.threads).not.toContain('jemalloc_bg_thd');
  });

  it('static: the gateway command is a CLI command and its --config file, mounted read-only, validates', () => {
    // The entry point `npm run build` compiles (tests/e2e/build.test.ts runs it).
    expect(configArgs.slice(0, 2)).toEqual(['node', 'dist/gateway/cli/main.js']);
    expect(Object.keys(COMMANDS)).toContain(configArgs[2]);
    // The documented alternative GATEWAY_MODE=demo is a CLI command too.
    expect(gateway.command?.toString()).toContain('${GATEWAY_MODE:-run}');
    expect(Object.keys(COMMANDS)).toContain('demo');
    expect(configHostPath, `${configContainerPath} is not bind-mounted`).toBeDefined();
    expect(statSync(configHostPath!).isFile()).toBe(true);
    expect(mounts(gateway).find((m) => m.target === configContainerPath)?.readOnly).toBe(true);
    const result = loadConfigFile(configHostPath!);
    expect(result.ok ? [] : result.errors).toEqual([]);
    // The same data through validateConfig directly (what hot reload uses after parsing).
    expect(validateConfig(readYaml(configHostPath!)).ok).toBe(true);
  });

  it('static: the compose config is the demo plant plus only the container differences (so the two cannot drift apart)', () => {
    const demo = readYaml(join(REPO_ROOT, 'gateway', 'config', 'demo-plant.yaml')) as Record<string, Record<string, unknown>>;
    const composed = readYaml(configHostPath!) as Record<string, Record<string, unknown>>;
    const { storage, influx, http, ...rest } = composed;
    const { http: demoHttp, ...demoRest } = demo;
    expect(storage).toEqual({ dataDir: '/data' });
    expect(influx).toMatchObject({ api: 'v1', url: 'http://influxdb:8086' });
    expect(http).toEqual({ ...demoHttp, host: '0.0.0.0' });
    expect(rest).toEqual({ ...demoRest, mqtt: { ...demo.mqtt, host: '0.0.0.0' } });
  });

  it('static: the gateway config listens on the published MQTT port and keeps its database in a named volume', () => {
    const r = loadConfigFile(configHostPath!);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const cfg = r.config;
    expect(cfg.mqtt.broker).toBe('embedded');
    expect(cfg.mqtt.host).toBe('0.0.0.0');
    expect(publishedContainerPorts(gateway)).toContain(cfg.mqtt.port);
    const data = mounts(gateway).find((m) => m.target === cfg.storage.dataDir);
    expect(data, `storage.dataDir ${cfg.storage.dataDir} is not a volume: the alarm journal would die with the container`).toBeDefined();
    expect(data!.bind).toBe(false);
    expect(data!.readOnly).toBe(false);
  });

  it('static: the config writes to the influxdb service, into the database the service creates and Grafana reads', () => {
    const r = loadConfigFile(configHostPath!);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const influx = r.config.influx;
    expect(influx?.enabled).toBe(true);
    expect(influx!.api).toBe('v1');
    const url = new URL(influx!.url);
    expect(Object.keys(services)).toContain(url.hostname);
    expect(services[url.hostname]).toBe(influxdb);
    expect(url.port).toBe('8086');
    if (influx!.api !== 'v1') throw new Error('unreachable');
    expect(env(influxdb)['INFLUXDB_DB']).toBe(influx!.database);
    // Dashboards query the default measurement names; a config override would leave them empty.
    const names = defaultMeasurements();
    expect([influx!.measurement, influx!.alarmMeasurement]).toEqual([names.reading, names.alarm]);
    const ds = provisionedDatasource();
    expect(ds.jsonData.dbName).toBe(influx!.database);
  });

  it('static: Grafana mounts the provisioning read-only, its datasource points at the influxdb service, its provider at the mounted dashboards', () => {
    const provisioning = mounts(grafana).find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning).toMatchObject({ bind: true, readOnly: true });
    expect(join(REPO_ROOT, provisioning!.source)).toBe(join(GRAFANA_DIR, 'provisioning'));
    const ds = provisionedDatasource();
    const url = new URL(ds.url);
    expect(services[url.hostname]).toBe(influxdb);
    expect(ds.jsonData.version).toBe('InfluxQL');
    const provider = providerProvisioningSchema.parse(readYaml(PROVIDER_FILE)).providers[0]!;
    const dashboardsOnHost = hostPath(grafana, provider.options.path);
    expect(dashboardsOnHost, `${provider.options.path} is not mounted into grafana`).toBeDefined();
    expect(join(dashboardsOnHost!)).toBe(join(DASHBOARD_DIR));
    expect(mounts(grafana).find((m) => m.target === provider.options.path)?.readOnly).toBe(true);
    expect(readdirSync(dashboardsOnHost!)).toEqual(expect.arrayContaining(['alarm-wall.json', 'plant-overview.json']));
    const home = env(grafana)['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
    expect(home && existsSync(hostPath(grafana, home)!), `home dashboard ${home}`).toBe(true);
    expect(publishedContainerPorts(grafana)).toContain(3000);
  });

  it("static: Prometheus scrapes the gateway's HTTP port, which is published on the host's loopback only (no TLS)", () => {
    const r = loadConfigFile(configHostPath!);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const http = r.config.http;
    expect(http?.enabled).toBe(true);
    // Every interface of the container, so the prometheus container reaches it; no TLS, hence...
    expect(http!.host).toBe('0.0.0.0');
    expect(http!.tls).toBeUndefined();
    // ...never published beyond the host's loopback.
    expect(publishedHostAddresses(gateway, http!.port)).toEqual(['127.0.0.1']);
    const job = scrapeConfig().scrape_configs[0]!;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.scheme).toBe('http');
    const target = new URL(`http://${job.static_configs[0]!.targets[0]!}`);
    expect(services[target.hostname]).toBe(gateway);
    expect(Number(target.port)).toBe(http!.port);
  });

  it("static: Prometheus reads the committed scrape config read-only and keeps its TSDB in a named volume; Grafana's Prometheus datasource points at it", () => {
    const args = commandArgs(prometheus);
    const configPath = args.find((a) => a.startsWith('--config.file='))!.split('=')[1]!;
    expect(hostPath(prometheus, configPath)).toBe(SCRAPE_CONFIG_FILE);
    expect(mounts(prometheus).find((m) => m.target === configPath)?.readOnly).toBe(true);
    const tsdb = args.find((a) => a.startsWith('--storage.tsdb.path='))!.split('=')[1]!;
    const data = mounts(prometheus).find((m) => m.target === tsdb);
    expect(data).toMatchObject({ bind: false, readOnly: false });
    // Prometheus has no login: loopback only on the host.
    expect(publishedHostAddresses(prometheus, 9090)).toEqual(['127.0.0.1']);
    const ds = new URL(provisionedPrometheus().url);
    expect(services[ds.hostname]).toBe(prometheus);
    expect(ds.port).toBe('9090');
    expect(args.some((a) => a.startsWith('--web.listen-address='))).toBe(false); // default :9090
    expect(grafana.depends_on).toEqual(expect.arrayContaining(['influxdb', 'prometheus']));
  });

  it('static: services start in order: the gateway waits for a healthy InfluxDB', () => {
    expect(gateway.depends_on).toMatchObject({ influxdb: { condition: 'service_healthy' } });
    expect((influxdb as { healthcheck?: { test?: string[] } }).healthcheck?.test?.join(' ')).toContain('/ping');
  });
});
