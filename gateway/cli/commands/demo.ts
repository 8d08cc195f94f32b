import { fileURLToPath } from 'node:url';
import type { Command } from '../command.js';
import { loadConfigOrThrow } from '../../config/load.js';
import { parseOptions, portOption } from '../options.js';
import { runUntilSignal } from '../run-gateway.js';
import { DemoPlantSimulator } from '../../../simulators/modbus/demo-plant.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../config/demo-plant.yaml', import.meta.url));

const usage = 'demo [--mqtt-port <n>] [--sim-port <n>] [--speed <x>] [--data-dir <dir>] [--config <file>]';

const command: Command = {
  summary: 'run the embedded demo plant (Modbus simulator with a gas and dust scenario) and the gateway on it',
  usage,
  async run(argv) {
    const opts = parseOptions(
      argv,
      { 'mqtt-port': { type: 'string' }, 'sim-port': { type: 'string' }, speed: { type: 'string' }, 'data-dir': { type: 'string' }, config: { type: 'string', short: 'c' } },
      usage,
    );
    const file = opts.config ?? DEMO_CONFIG;
    const config = loadConfigOrThrow(file);
    const simDevice = config.devices.find((d) => d.type === 'modbus-tcp');
    if (!simDevice || simDevice.type !== 'modbus-tcp') throw new Error(`${file}: the demo needs a modbus-tcp device for its simulator`);
    const simPort = portOption(opts['sim-port'], '--sim-port') ?? simDevice.port;
    const speed = opts.speed !== undefined ? Number(opts.speed) : 1;
    if (!(speed > 0)) throw new Error(`--speed must be a positive number, got "${opts.speed}"`);

    const sim = new DemoPlantSimulator({ host: simDevice.host, port: simPort, speed });
    const port = await sim.start();
    // Every Modbus device of the demo config reads the one simulator.
    const prepare = (c: typeof config) => {
      for (const d of c.devices) if (d.type === 'modbus-tcp') d.port = port;
    };
    prepare(config);
    console.log(`演示装置: Modbus TCP 模拟器 ${simDevice.host}:${port} (情景周期 120 s${speed !== 1 ? `, ${speed} 倍速` : ''}); Ctrl-C 退出`);
    return runUntilSignal(config, { mqttPort: portOption(opts['mqtt-port'], '--mqtt-port'), dataDir: opts['data-dir'], configFile: file, prepare, afterStop: () => sim.stop() });
  },
};
export default command;
