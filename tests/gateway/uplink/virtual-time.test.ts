import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';
import type { ConditionUpdate } from '../../../gateway/core/condition.js';
import { silentLogger } from '../../../gateway/core/logger.js';
import { Metrics } from '../../../gateway/core/metrics.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { openDatabase } from '../../../gateway/store/database.js';
import { uplinkSectionSchema } from '../../../gateway/uplink/config.js';
import type { OutgoingMessage } from '../../../gateway/uplink/envelope.js';
import type { UplinkTransport } from '../../../gateway/uplink/profiles/profile.js';
import { UplinkSink } from '../../../gateway/uplink/uplink-sink.js';
import { CREDIT_CODE } from './fixtures.js';

/**
 * The uplink's timers on an injected scheduler: a minute of snapshots, heartbeats and a platform
 * outage runs in virtual time, in milliseconds of real time.
 */
describe('uplink sink in virtual time', () => {
  it('snapshots every snapshotPeriod and raises LINK_DOWN linkDownAlarmAfter into an outage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uplink-vt-'));
    const db = openDatabase(join(dir, 'gateway.db'));
    const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
    let platformUp = true;
    const sent: OutgoingMessage[] = [];
    const transport: UplinkTransport = {
      send: (m) => {
        if (!platformUp) return Promise.reject(new Error('connect ECONNREFUSED'));
        sent.push(m);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
      describe: () => 'virtual platform',
    };
    const sink = new UplinkSink({
      config: uplinkSectionSchema.parse({
        transport: { profile: 'mqtt', url: 'mqtt://127.0.0.1:1' },
        points: [{ point: 'gh1.co', code: 'CO-01' }],
        snapshotPeriod: '10s',
        heartbeatPeriod: '30s',
        linkDownAlarmAfter: '5s',
        baseData: { enabled: false },
        retry: { initialDelay: '500ms', maxDelay: '1s' },
      }),
      gateway: { id: 'gw-vt', creditCode: CREDIT_CODE },
      logger: silentLogger,
      metrics: new Metrics(),
      db,
      transport,
      latestOf: () => ({ value: 12, quality: 'Good', ts: scheduler.now() }),
      scheduler,
    });
    const diagnostics: ConditionUpdate[] = [];
    sink.diagnostics$.subscribe((d) => diagnostics.push(d));
    sink.start(new Subject<Reading>(), new Subject<AlarmEvent>());
    // Step virtual time, letting the sender's promises settle between steps.
    const advanceTo = async (ms: number) => {
      while (scheduler.frame < ms) {
        scheduler.maxFrames = scheduler.frame + 100;
        scheduler.flush();
        // flush() only moves the clock to actions it runs: move it to the end of the step.
        scheduler.frame = Math.max(scheduler.frame, scheduler.maxFrames);
        for (let i = 0; i < 20; i++) await Promise.resolve();
        await new Promise((r) => setImmediate(r));
      }
    };
    await advanceTo(60_500); // snapshots at 10 s … 60 s, each committed and sent
    const types = sent.map((m) => m.header.type);
    expect(types.filter((t) => t === 'realtime')).toHaveLength(6);
    expect(types.filter((t) => t === 'heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(sink.isLinkUp).toBe(true);

    platformUp = false;
    const outageAt = scheduler.now();
    await advanceTo(outageAt + 20_000);
    const down = diagnostics.find((d) => d.alarmId === 'uplink:LINK_DOWN' && d.active);
    expect(down).toBeDefined();
    // The first send to fail is the next snapshot (70 s); LINK_DOWN follows linkDownAlarmAfter (5 s) later.
    expect(down!.ts).toBeGreaterThanOrEqual(75_000);
    expect(down!.ts).toBeLessThanOrEqual(76_500);
    expect(sink.isLinkUp).toBe(false);

    platformUp = true;
    await advanceTo(scheduler.now() + 5_000);
    expect(diagnostics.some((d) => d.alarmId === 'uplink:LINK_DOWN' && !d.active)).toBe(true);
    const stopping = sink.stop();
    await advanceTo(scheduler.now() + 2_000);
    await stopping;
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
