import { afterEach, describe, expect, it } from 'vitest';
import { hiddenDangerReportSchema } from '../../../../gateway/core/hidden-danger.js';
import { warningFeedbackSchema, type PlatformWarning } from '../../../../gateway/core/platform-warning.js';
import { localPointOfCode } from '../../../../gateway/services/hidden-danger/service.js';
import { CREDIT_CODE, DAY, startLoop, T0, USERS, type Loop } from './harness.js';

const WARNING: PlatformWarning = {
  warningId: 'W-2026-0001',
  enterpriseCode: CREDIT_CODE,
  issuer: '某某县应急管理局监测中心',
  issuedAt: T0,
  level: 3,
  kind: 'repeated_alarm',
  title: '加压机房CO同一测点反复报警',
  content: '近24小时加压机房CO报警11次，请排查泄漏点并反馈',
  feedbackDeadline: T0 + 2 * DAY,
};

let loop: Loop;
afterEach(async () => {
  await loop?.stop();
});

describe('warnings from above become records, and feedback goes back up', () => {
  it('one record per warningId with source 监测预警; received at once, in_hand when rectifying, answered at closure with the acceptance comment', async () => {
    loop = await startLoop({ responsible: [{ area: '全厂', role: 'supervisor' }] });
    const { channel, service } = loop;
    channel.warnings.next(WARNING);
    channel.warnings.next(WARNING); // resent by the platform: nothing new
    const records = service.store.list({ open: true });
    expect(records).toHaveLength(1);
    const rec = records[0]!;
    expect(rec).toMatchObject({ dangerSrc: 'monitoring', warningId: 'W-2026-0001', dangerName: WARNING.title, dangerManageDeadline: WARNING.feedbackDeadline, area: '全厂', liableRole: 'supervisor' });
    expect(rec.dangerDesc).toContain('某某县应急管理局监测中心');
    expect(channel.feedback.map((f) => [f.state, f.hazardId])).toEqual([['received', rec.id]]);

    service.loop.move(rec.id, 'assess', { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '排查法兰泄漏点' }, USERS.super!);
    expect(channel.feedback).toHaveLength(1);
    service.loop.move(rec.id, 'start', {}, USERS.super!);
    service.loop.move(rec.id, 'submit', { rectification: '更换 3 处法兰垫片' }, USERS.super!);
    service.loop.move(rec.id, 'accept', { comment: '复测合格，同意销号' }, USERS.eng!);
    expect(channel.feedback.map((f) => f.state)).toEqual(['received', 'in_hand', 'answered']);
    const answered = channel.feedback[2]!;
    expect(answered).toMatchObject({ warningId: 'W-2026-0001', handledBy: 'eng1' });
    expect(answered.content).toContain('复测合格，同意销号');
    for (const f of channel.feedback) warningFeedbackSchema.parse(f);
    // Every change of the record went up too, with the warning it answers.
    expect(channel.reports.map((r) => r.state)).toEqual(['registered', 'assessed', 'rectifying', 'awaiting_acceptance', 'closed']);
    for (const r of channel.reports) expect(hiddenDangerReportSchema.parse(r).warningId).toBe('W-2026-0001');

    // After a restart the same warning still opens nothing and no feedback is repeated.
    await loop.restart();
    channel.warnings.next(WARNING);
    expect(service.store.list({ limit: 100 })).toHaveLength(1);
    expect(channel.feedback).toHaveLength(3);
  });

  it('a warning for another enterprise is refused and counted; records changed while the channel was absent go up on the next start', async () => {
    loop = await startLoop({}, { channel: false });
    const { service, channel } = loop;
    const reg = service.loop.register({ dangerName: '配电室门未关', dangerDesc: '巡检发现', area: 'gas', dangerLevel: 'general', dangerSrc: 'daily', dangerManageType: 'deadline', alarmIds: [] }, USERS.opGas!);
    expect(channel.reports).toHaveLength(0);
    // The uplink is configured now (the harness's channel is given on restart).
    await loop.service.stop();
    const { HiddenDangerService } = await import('../../../../gateway/services/hidden-danger/service.js');
    const ctx = (service as unknown as { ctx: ConstructorParameters<typeof HiddenDangerService>[0] }).ctx;
    const next = new HiddenDangerService(ctx, ctx.config.hiddenDanger!, { channel });
    loop.service = next;
    await next.start();
    expect(channel.reports.map((r) => [r.dangerId, r.revision])).toEqual([[reg.after.id, 1]]);
    channel.warnings.next({ ...WARNING, enterpriseCode: '91110000100000000X', warningId: 'W-OTHER' });
    expect(next.store.list({ limit: 100 })).toHaveLength(1);
    expect(ctx.metrics.counter('hidden_danger_errors', { where: 'warning_enterprise' })).toBe(1);
  });

  it('a warning’s platform point code names the local point through the uplink mappings; a code two targets map differently names none', () => {
    const pointOf = localPointOfCode([
      [{ point: 'booster.co', code: 'CO-2002-01' }, { point: 'dc.temp', code: 'T-01' }],
      [{ point: 'booster.co', code: 'CO-2002-01' }, { point: 'kiln.temp', code: 'T-01' }],
    ]);
    expect(pointOf('CO-2002-01')).toBe('booster.co');
    expect(pointOf('T-01')).toBeUndefined();
    expect(pointOf('NOPE')).toBeUndefined();
  });
});
