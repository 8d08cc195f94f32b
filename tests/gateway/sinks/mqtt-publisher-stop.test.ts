import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { resolvePublishPolicy } from '../../../gateway/sinks/mqtt-publish-policy.js';
import { MqttPublisher } from '../../../gateway/sinks/mqtt-publisher.js';
import { freePort } from '../../helpers/ports.js';

describe('MQTT publisher shutdown', () => {
  it('stops at once when the external broker was never reachable, with alarm events still queued', async () => {
    const port = await freePort(); // nothing listens there
    const publisher = new MqttPublisher({
      url: `mqtt://127.0.0.1:${port}`,
      gatewayId: 'stop',
      policyOf: () => resolvePublishPolicy({}, undefined, true, 0),
      log: silentLogger,
      metrics: new Metrics(),
    });
    const alarms$ = new Subject<AlarmEvent>();
    const starting = publisher.start(new Subject<Reading>(), alarms$);
    alarms$.next({ alarmId: 'x:HH', seq: 1 } as unknown as AlarmEvent); // a QoS 1 message that can never be acknowledged
    await starting; // gives up waiting after 5 s, keeps retrying in the background
    const t0 = Date.now();
    await publisher.stop();
    expect(Date.now() - t0).toBeLessThan(2_000);
  }, 20_000);
});
