import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { ConditionUpdate } from '../../../rules/condition.js';
import type { Reading } from '../../../gateway/core/reading.js';
import { videoEventRule } from '../../../rules/kinds/video-event.js';

describe('video-event rule', () => {
  it('raises with the snapshot URL in the detail, ignores repeats and Bad readings, clears on false', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const point = new Subject<Reading>();
    const rule = videoEventRule.schema.parse({ id: 'v', kind: 'video-event', point: 'cam3.no_helmet', condition: 'PPE' });
    const updates: ConditionUpdate[] = [];
    videoEventRule
      .build(rule, { point$: () => point, point: (id) => ({ id, name: id, unit: '', area: 'bof', device: 'nvr' }), scheduler })
      .subscribe((u) => updates.push(u));
    const r = (value: boolean | null, ts: number, extra: Partial<Reading> = {}): Reading => ({ point: 'cam3.no_helmet', value, quality: 'Good', ts, receivedAt: ts, ...extra });
    point.next(r(true, 1000, { evidence: 'http://nvr/snap/1.jpg' }));
    point.next(r(true, 2000, { evidence: 'http://nvr/snap/2.jpg' }));
    point.next(r(null, 2500, { quality: 'BadNotConnected' }));
    point.next(r(false, 60_000));
    expect(updates).toEqual([
      { alarmId: 'cam3.no_helmet:PPE', active: true, value: true, ts: 1000, detail: '抓拍 http://nvr/snap/1.jpg' },
      { alarmId: 'cam3.no_helmet:PPE', active: false, value: false, ts: 60_000 },
    ]);
  });
});
