import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { loadConfigOrThrow } from '../../config/load.js';
import type { GatewayConfig } from '../../config/schema.js';
import { parseOptions, portOption } from '../options.js';
import { catchStopSignals, runUntilSignal } from '../run-gateway.js';
import { consoleLogger } from '../../core/logger.js';
import { DemoPlantSimulator } from '../../../simulators/modbus/demo-plant.js';
import { DEMO_BASE_PORT, startDemoPlcSimulators } from '../../../simulators/opcua/index.js';
import { createDemoUsers, formatDemoUsers } from '../../auth/demo-users.js';
import { SCENARIOS } from '../../../simulators/modbus/scenarios/index.js';
import { MqttDemoSources, writeDemoAcl } from '../../../simulators/mqtt/demo-sources.js';
import { ScenarioMqttSource } from '../../../simulators/mqtt/scenario-source.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo-plant.yaml', import.meta.url));

const usage = 'demo [--mqtt-port <n>] [--http-port <n>] [--sim-port <n>] [--opcua-port <n>] [--speed <x>] [--data-dir <dir>] [--config <file>] [--scenario <name>]';

/** Points the demo config's devices at the simulators actually started (ports may be overridden). */
function pointAtSimulators(config: GatewayConfig, modbusPort: number, opcuaBase: number): void {
  for (const d of config.devices) {
    if (d.type === 'modbus-tcp') d.port = modbusPort;
    if (d.type === 'opcua') {
      const url = new URL(d.endpoint.replace(/^opc\.tcp:/, 'http:'));
      const offset = Number(url.port) - DEMO_BASE_PORT;
      if (offset >= 0 && offset < 3) d.endpoint = `opc.tcp://${url.hostname}:${opcuaBase + offset}${url.pathname === '/' ? '' : url.pathname}`;
    }
  }
}

const command: Command = {
  summary: 'run the embedded demo plant (Modbus gas/dust simulator and OPC UA blast furnace, converter and gas holder PLCs) and the gateway on it',
  usage,
  async run(argv) {
    const opts = parseOptions(
      argv,
      {
        'mqtt-port': { type: 'string' },
        'http-port': { type: 'string' },
        'sim-port': { type: 'string' },
        'opcua-port': { type: 'string' },
        speed: { type: 'string' },
        'data-dir': { type: 'string' },
        config: { type: 'string', short: 'c' },
        scenario: { type: 'string' },
      },
      usage,
    );
    // A scenario (simulators/modbus/scenarios/) replaces the demo plant's signals and config.
    const scenario = opts.scenario !== undefined ? SCENARIOS[opts.scenario] : undefined;
    if (opts.scenario !== undefined && !scenario) throw new Error(`unknown scenario "${opts.scenario}"; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
    const file = opts.config ?? (scenario ? fileURLToPath(new URL(`../../config/${scenario.config}`, import.meta.url)) : DEMO_CONFIG);
    const config = loadConfigOrThrow(file);
    // Before the simulators start and their lines are printed: a SIGTERM sent on seeing them (or
    // during their start) stops the demo cleanly instead of killing it mid-start.
    const signals = catchStopSignals(consoleLogger(config.gateway.logLevel));
    const startDemo = async (): Promise<number> => {
      const simDevice = config.devices.find((d) => d.type === 'modbus-tcp');
      if (!simDevice || simDevice.type !== 'modbus-tcp') throw new Error(`${file}: the demo needs a modbus-tcp device for its simulator`);
      const speed = opts.speed !== undefined ? Number(opts.speed) : 1;
      if (!(speed > 0)) throw new Error(`--speed must be a positive number, got "${opts.speed}"`);
      const opcuaBase = portOption(opts['opcua-port'], '--opcua-port') ?? DEMO_BASE_PORT;
      let demoUsers: Awaited<ReturnType<typeof createDemoUsers>>;
      try {
        demoUsers = await createDemoUsers(opts['data-dir'] ?? config.storage.dataDir);
      } catch (err) {
        throw new Error(`网关无法启动 [cannot start]: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      console.log(formatDemoUsers(demoUsers));
      const sensor = demoUsers.find((u) => u.name === 'demo-sensor')!;
      const demoAcl = writeDemoAcl(opts['data-dir'] ?? config.storage.dataDir, sensor.name);
      const mqttPort = portOption(opts['mqtt-port'], '--mqtt-port') ?? config.mqtt.port;
      const mqttUrl = `mqtt://${config.mqtt.host}:${mqttPort}`;

      // The OPC UA servers take some seconds to start: start them first, so the gateway finds every
      // device up and the demo opens without communication alarms.
      const hasOpcua = config.devices.some((d) => d.type === 'opcua');
      console.log(hasOpcua ? `演示装置启动中: OPC UA 高炉/转炉/煤气柜 PLC 模拟器 127.0.0.1:${opcuaBase}-${opcuaBase + 2} …` : '演示装置启动中 …');
      const plcs = hasOpcua ? await startDemoPlcSimulators({ port: opcuaBase, speed }) : undefined;
      const sim = new DemoPlantSimulator({ host: simDevice.host, port: portOption(opts['sim-port'], '--sim-port') ?? simDevice.port, speed, ...(scenario ? { signals: scenario.signals, cycleS: scenario.cycleS } : {}) });
      if (scenario) console.log(`情景 ${opts.scenario}: ${scenario.description} (周期 ${scenario.cycleS} s)`);
      let modbusPort: number;
      try {
        modbusPort = await sim.start();
      } catch (err) {
        await plcs?.stop();
        throw err;
      }
      const prepare = (c: GatewayConfig) => {
        pointAtSimulators(c, modbusPort, opcuaBase);
        if (c.mqtt.broker === 'embedded') c.mqtt.aclFile ??= demoAcl;
      };
      prepare(config);
      // The demo plant's MQTT sources belong to demo-plant.yaml; a scenario has at most its own
      // wireless sensor, on the Modbus simulator's scenario clock.
      const mqttSources = scenario
        ? scenario.mqtt && new ScenarioMqttSource({ url: mqttUrl, gatewayId: config.gateway.id, user: sensor.name, password: sensor.password, points: scenario.mqtt, clock: () => sim.scenarioTime(), intervalMs: 1000 / speed })
        : new MqttDemoSources({ url: mqttUrl, gatewayId: config.gateway.id, user: sensor.name, password: sensor.password, speed });
      mqttSources?.start();
      console.log(`演示装置: Modbus TCP 模拟器 127.0.0.1:${modbusPort} (${scenario ? `情景 ${opts.scenario}, 周期 ${scenario.cycleS} s` : '煤气/除尘, 情景周期 120 s'})${plcs ? ', OPC UA PLC 情景: 45 s 高炉顶压超限放散阀拒动, 150 s 转炉氧枪漏水, 300 s 煤气柜活塞倾斜' : ''}${speed !== 1 ? `, ${speed} 倍速` : ''}; Ctrl-C 退出`);
      return runUntilSignal(config, {
        signals,
        mqttPort: portOption(opts['mqtt-port'], '--mqtt-port'),
        httpPort: portOption(opts['http-port'], '--http-port'),
        dataDir: opts['data-dir'],
        configFile: file,
        prepare,
        afterStop: async () => {
          await mqttSources?.stop();
          await sim.stop();
          await plcs?.stop();
        },
      });
    };
    try {
      return await startDemo();
    } catch (err) {
      signals.release();
      throw err;
    }
  },
};
export default command;
