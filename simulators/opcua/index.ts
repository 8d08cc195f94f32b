import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../gateway/core/logger.js';
import { silentLogger } from '../../gateway/core/logger.js';
import { BlastFurnacePlc } from './blast-furnace.js';
import { ConverterPlc } from './converter.js';
import { GasHolderPlc } from './gas-holder.js';
import type { PlcModel, SimValue } from './model.js';
import { PlcServer } from './plc-server.js';

export const PLC_IDS = ['bf1', 'cv1', 'gh1'] as const;
export type PlcId = (typeof PLC_IDS)[number];

/** Every scenario and the PLC that runs it. */
export const SCENARIOS = {
  'top-pressure-excursion': 'bf1',
  'lance-cooling-water-loss': 'cv1',
  'gas-holder-piston-tilt': 'gh1',
} as const satisfies Record<string, PlcId>;
export type ScenarioName = keyof typeof SCENARIOS;

export function createPlcModel(id: PlcId): PlcModel {
  switch (id) {
    case 'bf1':
      return new BlastFurnacePlc();
    case 'cv1':
      return new ConverterPlc();
    case 'gh1':
      return new GasHolderPlc();
  }
}

export interface PlcSimulatorsOptions {
  host?: string;
  /**
   * First port: bf1 listens on port, cv1 on port + 1, gh1 on port + 2 (in the order of `plcs`).
   * 0 (default) gives each a free port.
   */
  port?: number;
  /** Which PLCs to start (default all three); tests start only what they need. */
  plcs?: readonly PlcId[];
  /** PKI folder of the servers; default a new temp dir. */
  pkiDir?: string;
  tickMs?: number;
  /** Simulated seconds per real second (default 1). */
  speed?: number;
  users?: ReadonlyArray<{ username: string; password: string }>;
  log?: Logger;
}

/** One running PLC simulator. */
export interface PlcHandle {
  readonly id: PlcId;
  readonly title: string;
  readonly endpointUrl: string;
  readonly port: number;
  readonly model: PlcModel;
  /** NodeId string of a signal, e.g. nodeId('top_pressure') → ns=1;s=BF1.TopPressure. */
  nodeId(key: string): string;
  startScenario(name: string, options?: Record<string, unknown>): void;
  stopScenario(): void;
  /** Forces a signal (PLC force) until `release`. */
  set(key: string, value: SimValue): void;
  release(key: string): void;
  /** Publishes a signal with an OPC UA status such as BadSensorFailure; 'Good' clears it. */
  setStatus(key: string, statusName: string): void;
  /** Removes a tag from the address space / adds it back (a PLC program download). */
  removeTag(key: string): void;
  restoreTag(key: string): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface PlcSimulators {
  readonly plcs: Partial<Record<PlcId, PlcHandle>>;
  get(id: PlcId): PlcHandle;
  /** Starts a scenario on whichever PLC runs it. */
  startScenario(name: ScenarioName, options?: Record<string, unknown>): void;
  stop(): Promise<void>;
}

function handleFor(id: PlcId, server: PlcServer): PlcHandle {
  return {
    id,
    title: server.model.title,
    get endpointUrl() {
      return server.endpointUrl;
    },
    get port() {
      return server.port;
    },
    model: server.model,
    nodeId: (key) => server.nodeId(key),
    startScenario: (name, options) => server.model.startScenario(name, options),
    stopScenario: () => server.model.stopScenario(),
    set: (key, value) => server.set(key, value),
    release: (key) => server.release(key),
    setStatus: (key, status) => server.setStatus(key, status),
    removeTag: (key) => server.removeTag(key),
    restoreTag: (key) => server.restoreTag(key),
    stop: () => server.stop(),
    restart: () => server.restart(),
  };
}

/**
 * Starts the blast-furnace, converter and gas-holder PLC simulators as OPC UA servers in this
 * process. Servers start one after another (node-opcua loads its nodeset on the event loop, so
 * parallel starts are no faster).
 */
export async function startPlcSimulators(options: PlcSimulatorsOptions = {}): Promise<PlcSimulators> {
  const ids = options.plcs ?? PLC_IDS;
  const pkiDir = options.pkiDir ?? mkdtempSync(join(tmpdir(), 'yejin-opcua-sim-'));
  const log = options.log ?? silentLogger;
  const plcs: Partial<Record<PlcId, PlcHandle>> = {};
  const servers: PlcServer[] = [];
  // A PKI directory made here holds only this run's self-signed certificates: removed on stop.
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    if (options.pkiDir === undefined) rmSync(pkiDir, { recursive: true, force: true });
  };
  try {
    for (const [i, id] of ids.entries()) {
      const server = new PlcServer(createPlcModel(id), {
        host: options.host ?? '127.0.0.1',
        port: options.port ? options.port + i : 0,
        // Each server keeps its own certificate, as separate PLCs do.
        pkiDir: join(pkiDir, id),
        ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
        ...(options.speed !== undefined ? { speed: options.speed } : {}),
        ...(options.users ? { users: options.users } : {}),
        log,
      });
      await server.start();
      servers.push(server);
      plcs[id] = handleFor(id, server);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const get = (id: PlcId): PlcHandle => {
    const h = plcs[id];
    if (!h) throw new Error(`PLC simulator ${id} was not started (started: ${Object.keys(plcs).join(', ')})`);
    return h;
  };
  return {
    plcs,
    get,
    startScenario(name, scenarioOptions) {
      const plc = SCENARIOS[name];
      if (!plc) throw new Error(`unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
      const h = get(plc);
      log.info(`启动场景 ${name}：${h.model.scenarios.find((s) => s.name === name)?.description ?? ''}`);
      h.startScenario(name, scenarioOptions);
    },
    stop: stopAll,
  };
}

/** When the demo starts each scenario, seconds after start. */
export const DEMO_TIMELINE: ReadonlyArray<{ atS: number; scenario: ScenarioName }> = [
  { atS: 45, scenario: 'top-pressure-excursion' },
  { atS: 150, scenario: 'lance-cooling-water-loss' },
  { atS: 300, scenario: 'gas-holder-piston-tilt' },
];

/** Demo ports: 4841 bf1, 4842 cv1, 4843 gh1 (4840, the OPC UA default, is left for real servers). */
export const DEMO_BASE_PORT = 4841;

export interface DemoPlcSimulators extends PlcSimulators {
  /** Cancels the scenarios not yet started. */
  cancelTimeline(): void;
}

/**
 * What `npm start` calls: the three PLC simulators on 127.0.0.1:4841–4843 and the scenario timeline
 * (top-pressure excursion at 45 s, lance water loss at 2.5 min, piston tilt at 5 min). Stop with
 * `stop()`, which also cancels the timeline.
 */
export async function startDemoPlcSimulators(options: PlcSimulatorsOptions & { timeline?: typeof DEMO_TIMELINE } = {}): Promise<DemoPlcSimulators> {
  const sims = await startPlcSimulators({ port: DEMO_BASE_PORT, ...options });
  // With --speed the timeline runs faster too, so the scenarios keep their place in the story.
  const speed = options.speed ?? 1;
  const timers = (options.timeline ?? DEMO_TIMELINE).map(({ atS, scenario }) => setTimeout(() => sims.startScenario(scenario), (atS * 1000) / speed));
  const cancelTimeline = () => timers.forEach((t) => clearTimeout(t));
  return {
    ...sims,
    cancelTimeline,
    async stop() {
      cancelTimeline();
      await sims.stop();
    },
  };
}
