import type { Command } from '../command.js';
import { loadConfigOrThrow } from '../../config/load.js';
import { parseOptions } from '../options.js';
import { MessageDecoder } from '../../../adapters/mqtt/decode.js';
import { SparkplugSession } from '../../../adapters/mqtt/sparkplug-session.js';
import type { MqttDevice } from '../../../adapters/mqtt/config.js';

const usage = 'mqtt-map --config <file> --topic <topic> --payload <text> [--payload-base64]';

/**
 * Dry run of the MQTT ingest mapping: the readings a sample message would produce on each device
 * that subscribes to its topic, or why none. Nothing is connected or published.
 */
const command: Command = {
  summary: 'show the readings an MQTT message would produce (dry run of the mqtt devices of a config)',
  usage,
  async run(argv) {
    const opts = parseOptions(argv, { config: { type: 'string', short: 'c' }, topic: { type: 'string' }, payload: { type: 'string' }, 'payload-base64': { type: 'boolean' } }, usage);
    if (!opts.config || opts.topic === undefined || opts.payload === undefined) throw new Error(`usage: npm run gateway -- ${usage}`);
    const config = loadConfigOrThrow(opts.config);
    const payload = opts['payload-base64'] ? Buffer.from(opts.payload, 'base64') : Buffer.from(opts.payload, 'utf8');
    const devices = config.devices.filter((d): d is MqttDevice => d.type === 'mqtt');
    if (devices.length === 0) {
      console.log(`${opts.config} has no mqtt device`);
      return 1;
    }
    const now = Date.now();
    let matched = 0;
    for (const device of devices) {
      const decoder = new MessageDecoder(device, config.gateway.id);
      const route = decoder.route(opts.topic);
      if (!route) continue;
      matched++;
      const result =
        route.sub.format === 'sparkplug'
          ? new SparkplugSession(device, { now: () => now, rebirth: () => undefined }).handle(opts.topic, payload, now)
          : decoder.decode(opts.topic, payload, now);
      console.log(`device ${device.id}: template ${route.sub.topic} (${route.sub.format})${Object.keys(route.segments).length ? ` segments ${JSON.stringify(route.segments)}` : ''}`);
      for (const r of result.readings) console.log(`  reading ${JSON.stringify(r)}`);
      for (const r of result.rejects) console.log(`  rejected ${r.reason}: ${r.detail}`);
      if (result.skewed) console.log(`  ${result.skewed} device timestamp(s) beyond maxClockSkew replaced by the receive time`);
      for (const r of result.historical ?? []) console.log(`  history only (is_historical) ${JSON.stringify(r)}`);
      if (route.sub.format === 'sparkplug') console.log('  (a Sparkplug data message needs the node\'s NBIRTH first; a dry run sees each message alone)');
      if (result.readings.length === 0 && result.rejects.length === 0) console.log('  no configured point in this message');
    }
    if (matched === 0) {
      console.log(`no mqtt device subscribes to "${opts.topic}"; templates: ${devices.flatMap((d) => new MessageDecoder(d, config.gateway.id).subscriptions.map((s) => s.sub.topic)).join(', ')}`);
      return 1;
    }
    return 0;
  },
};
export default command;
