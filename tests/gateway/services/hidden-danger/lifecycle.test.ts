import { afterEach, describe, expect, it } from 'vitest';
import { hiddenDangerReportSchema } from '../../../../gateway/core/hidden-danger.js';
import { OVERDUE_ALARM_IDS } from '../../../../gateway/services/hidden-danger/service.js';
import { DAY, HOUR, startLoop, T0, USERS, type Loop } from './harness.js';

const MIN = 60_000;

/** The dispatch rules of the issue: HH for more than 5 min, interlock bypass, BAD_QUALITY over 1 h, chattering, shelved too often. */
const RULES = [
  { id: 'co-hh-5min', name: '加压机房CO高高报持续超过5分钟', match: { alarmId: ['booster.*:HH'] }, when: { kind: 'active', for: '5m' }, proposeClosureAfter: '30m' },
  { id: 'interlock-bypass', match: { condition: ['BYPASS'] }, when: { kind: 'active', for: 0 }, level: 'major' },
  { id: 'sensor-bad-1h', match: { condition: ['BAD_QUALITY'] }, when: { kind: 'active', for: '1h' } },
  { id: 'chattering', match: { area: ['dust'] }, when: { kind: 'chattering', count: 3, within: '60s' } },
  { id: 'shelved-often', match: { alarmId: ['booster.co:HH'] }, when: { kind: 'shelved', count: 3, within: '7d' } },
];

const CONFIG = {
  rules: RULES,
  responsible: [{ area: 'gas', role: 'operator' }, { equipment: '1#高炉', person: '王炉长' }],
  safetyHead: '安全总监',
  deadlines: { general: '3d', major: '10d' },
  reminders: ['1d', '2h'],
  escalation: [
    { after: 0, to: 'supervisor' },
    { after: '1d', to: 'safetyHead' },
  ],
};

let loop: Loop;
afterEach(async () => {
  await loop?.stop();
});

const open = () => loop.service.store.list({ open: true });
const kinds = (id: string) => loop.service.store.history(id).map((h) => h.kind);

describe('hidden-danger closed loop in virtual time', () => {
  it('dispatch, reminder, escalation with the overdue alarm, rejection, closure proposal and acceptance', async () => {
    loop = await startLoop(CONFIG);
    const { service, channel } = loop;

    // HH for 4 minutes and back: nothing. Then HH for more than 5 minutes: one record.
    loop.raise('booster.co:HH');
    loop.advance(4 * MIN);
    loop.clear('booster.co:HH');
    loop.advance(10 * MIN);
    expect(open()).toHaveLength(0);
    loop.raise('booster.co:HH');
    loop.advance(5 * MIN - 1);
    expect(open()).toHaveLength(0);
    loop.advance(2);
    const [rec] = open();
    expect(rec).toMatchObject({ state: 'registered', dangerSrc: 'monitoring', dangerLevel: 'general', area: 'gas', liableRole: 'operator', equipment: '煤气加压机房', alarmIds: ['booster.co:HH'], dispatchRule: 'co-hh-5min', registrant: 'system', dangerName: '加压机房CO高高报持续超过5分钟' });
    expect(rec!.id).toMatch(/^YH20260302-0001$/);
    expect(rec!.dangerManageDeadline).toBe(loop.scheduler.now() - 1 + 3 * DAY);

    // Dedup: the same alarm again (cleared and back for 5 min) opens nothing new, it is noted on the record.
    loop.clear('booster.co:HH');
    loop.advance(MIN);
    loop.raise('booster.co:HH');
    loop.advance(6 * MIN);
    expect(open()).toHaveLength(1);
    expect(kinds(rec!.id)).toEqual(['register']);
    // … and more than an hour later it is noted on the record (at most once an hour per rule).
    loop.clear('booster.co:HH');
    loop.advance(HOUR);
    loop.raise('booster.co:HH');
    loop.advance(6 * MIN);
    expect(open()).toHaveLength(1);
    expect(kinds(rec!.id)).toEqual(['register', 'link']);

    // Clearing never closes it.
    loop.clear('booster.co:HH');
    loop.advance(2 * HOUR);
    expect(service.store.get(rec!.id)!.state).toBe('registered');

    // Assess: the supervisor. Deadline from registration by level.
    const assessed = service.loop.move(rec!.id, 'assess', { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '加装通风，检修煤气管道法兰' }, USERS.super!).after;
    expect(assessed).toMatchObject({ state: 'assessed', assessedBy: 'super1', dangerManageDeadline: rec!.registTime + 3 * DAY });
    service.loop.move(rec!.id, 'start', {}, USERS.opGas!);

    // Reminders 1 d and 2 h before the deadline, once each.
    const deadline = assessed.dangerManageDeadline!;
    loop.advance(deadline - DAY - loop.scheduler.now() + MIN);
    expect(kinds(rec!.id).filter((k) => k === 'remind')).toHaveLength(1);
    loop.advance(DAY - 2 * HOUR);
    expect(kinds(rec!.id).filter((k) => k === 'remind')).toHaveLength(2);
    expect(loop.diagnostics.filter((d) => d.alarmId === OVERDUE_ALARM_IDS.general && d.active)).toHaveLength(0);

    // Past the deadline: escalated to the supervisor role at once, the overdue alarm raised.
    loop.advance(2 * HOUR);
    let r = service.store.get(rec!.id)!;
    expect(r.escalation).toMatchObject({ stage: 0, to: ['supervisor'] });
    const raised = loop.diagnostics.filter((d) => d.alarmId === OVERDUE_ALARM_IDS.general).at(-1)!;
    expect(raised).toMatchObject({ active: true, value: 1 });
    expect(raised.detail).toContain(rec!.id);
    // … and after a day to the enterprise's safety head.
    loop.advance(DAY);
    r = service.store.get(rec!.id)!;
    expect(r.escalation).toMatchObject({ stage: 1, to: ['supervisor', '安全总监'] });
    loop.advance(DAY);
    expect(kinds(rec!.id).filter((k) => k === 'escalate')).toHaveLength(2);

    // Submitted: escalation stops, the overdue alarm clears.
    service.loop.move(rec!.id, 'submit', { rectification: '更换法兰垫片，复测CO 3 ppm' }, USERS.opGas!);
    loop.advance(2 * MIN);
    r = service.store.get(rec!.id)!;
    expect(r.escalation).toBeUndefined();
    expect(loop.diagnostics.filter((d) => d.alarmId === OVERDUE_ALARM_IDS.general).at(-1)).toMatchObject({ active: false });
    loop.advance(3 * DAY);
    expect(kinds(rec!.id).filter((k) => k === 'escalate')).toHaveLength(2);

    // Rejected: back to rectification with the reason; the rectifier may not accept their own work.
    expect(() => service.loop.move(rec!.id, 'accept', { comment: '好' }, { ...USERS.opGas!, role: 'supervisor' })).toThrow(/整改人不能验收/);
    r = service.loop.move(rec!.id, 'reject', { reason: '法兰处仍有泄漏，复测 30 ppm' }, USERS.super!).after;
    expect(r).toMatchObject({ state: 'rectifying', rejectReason: '法兰处仍有泄漏，复测 30 ppm', rejections: 1 });

    // Resubmitted while the alarm has been normal for days: closure is proposed at once, not made.
    service.loop.move(rec!.id, 'submit', { rectification: '重新紧固并更换阀门，复测 0 ppm' }, USERS.opGas!);
    service['dispatcher'].reviewClosure(rec!.id);
    r = service.store.get(rec!.id)!;
    expect(r.state).toBe('awaiting_acceptance');
    expect(r.closureProposal?.reason).toContain('建议验收销号');

    // Accepted by the engineer: closed (销号), and the alarm may open a new record again.
    r = service.loop.move(rec!.id, 'accept', { comment: '复测合格，同意销号' }, USERS.eng!).after;
    expect(r).toMatchObject({ state: 'closed', checkAcceptPerson: 'eng1', checkAcceptComment: '复测合格，同意销号' });
    expect(service.store.openRecordForAlarm('booster.co:HH')).toBeUndefined();

    // Every change has one audited history row: who, when, state before and after.
    const history = service.store.history(rec!.id);
    expect(history.map((h) => h.revision)).toEqual(history.map((_, i) => i + 1));
    expect(history.filter((h) => h.beforeState !== h.afterState).map((h) => [h.kind, h.user, h.beforeState, h.afterState])).toEqual([
      ['register', 'system', null, 'registered'],
      ['assess', 'super1', 'registered', 'assessed'],
      ['start', 'op-gas', 'assessed', 'rectifying'],
      ['submit', 'op-gas', 'rectifying', 'awaiting_acceptance'],
      ['reject', 'super1', 'awaiting_acceptance', 'rectifying'],
      ['submit', 'op-gas', 'rectifying', 'awaiting_acceptance'],
      ['accept', 'eng1', 'awaiting_acceptance', 'closed'],
    ]);
    expect(history.find((h) => h.kind === 'assess')!.changes.controlMeasures).toEqual([null, '加装通风，检修煤气管道法兰']);

    // Every revision went upstream as a valid 双重预防 report, the last one closed.
    const mine = channel.reports.filter((x) => x.dangerId === rec!.id);
    expect(mine.map((x) => x.revision)).toEqual(history.map((h) => h.revision));
    for (const x of mine) hiddenDangerReportSchema.parse(x);
    expect(mine.at(-1)).toMatchObject({ state: 'closed', checkAcceptPerson: 'eng1', companyCode: '91350100M000100Y43', dangerSrc: 'monitoring' });
    expect(service.store.unsent()).toHaveLength(0);
  });

  it('proposes closure only after the alarm stayed normal for the set time with a rectification, and re-activation restarts the wait', async () => {
    loop = await startLoop(CONFIG);
    const { service } = loop;
    loop.raise('booster.co:HH');
    loop.advance(6 * MIN);
    const id = open()[0]!.id;
    service.loop.move(id, 'assess', { dangerLevel: 'general', dangerManageType: 'immediate', controlMeasures: '关闭阀门' }, USERS.eng!);
    service.loop.move(id, 'start', {}, USERS.opGas!);
    service.loop.move(id, 'submit', { rectification: '已关阀' }, USERS.opGas!);
    service['dispatcher'].reviewClosure(id);
    // Still active: no proposal.
    loop.advance(HOUR);
    expect(service.store.get(id)!.closureProposal).toBeUndefined();
    loop.clear('booster.co:HH');
    loop.advance(20 * MIN);
    loop.raise('booster.co:HH');
    loop.advance(MIN);
    loop.clear('booster.co:HH');
    loop.advance(29 * MIN);
    expect(service.store.get(id)!.closureProposal).toBeUndefined();
    loop.advance(2 * MIN);
    expect(service.store.get(id)!.closureProposal).toBeDefined();
    expect(service.store.get(id)!.state).toBe('awaiting_acceptance');
  });

  it('interlock bypass opens a 重大隐患 at once for the person responsible for the equipment; BAD_QUALITY only after 1 h', async () => {
    loop = await startLoop(CONFIG);
    loop.raise('bf1.relief:BYPASS', 0);
    const [bypass] = open();
    expect(bypass).toMatchObject({ dangerLevel: 'major', liablePerson: '王炉长', area: 'bf', dangerManageDeadline: T0 + 10 * DAY });
    loop.raise('booster.co:BAD_QUALITY', 0);
    loop.advance(59 * MIN);
    expect(open()).toHaveLength(1);
    loop.advance(2 * MIN);
    expect(open().map((r) => r.dispatchRule).sort()).toEqual(['interlock-bypass', 'sensor-bad-1h']);
    // A 重大隐患 is assessed only with its 五落实; the overdue alarm of majors is red.
    expect(() => loop.service.loop.move(bypass!.id, 'assess', { dangerLevel: 'major', dangerManageType: 'deadline', controlMeasures: 'x' } as never, USERS.super!)).toThrow();
    loop.advance(11 * DAY);
    expect(loop.diagnostics.filter((d) => d.alarmId === OVERDUE_ALARM_IDS.major).at(-1)).toMatchObject({ active: true, value: 1 });
  });

  it('chattering (3 activations in 60 s) and shelving 3 times a week open records; 2 do not', async () => {
    loop = await startLoop(CONFIG);
    for (let i = 0; i < 2; i++) {
      loop.raise('dc.hopper:H', 90);
      loop.advance(5000);
      loop.clear('dc.hopper:H', 50);
      loop.advance(5000);
    }
    expect(open()).toHaveLength(0);
    loop.advance(60_000);
    for (let i = 0; i < 3; i++) {
      loop.raise('dc.hopper:H', 90);
      loop.advance(5000);
      loop.clear('dc.hopper:H', 50);
      loop.advance(5000);
    }
    expect(open().map((r) => [r.dispatchRule, r.area])).toEqual([['chattering', 'dust']]);
    // Chattering on: noted on the open record, at most once an hour.
    const chatter = (n: number) => {
      for (let i = 0; i < n; i++) {
        loop.raise('dc.hopper:H', 90);
        loop.advance(5000);
        loop.clear('dc.hopper:H', 50);
        loop.advance(5000);
      }
    };
    chatter(12);
    expect(kinds(open()[0]!.id)).toEqual(['register']);
    loop.advance(HOUR);
    chatter(6);
    expect(kinds(open()[0]!.id)).toEqual(['register', 'link']);
    expect(open()).toHaveLength(1);

    for (let i = 0; i < 3; i++) {
      loop.raise('booster.co:HH');
      loop.alarms.shelve('booster.co:HH', 'op-gas', { durationMs: HOUR, reason: '检修' });
      loop.advance(2 * MIN);
      loop.clear('booster.co:HH');
      loop.advance(2 * DAY);
      loop.alarms.unshelve('booster.co:HH', 'op-gas');
    }
    expect(open().map((r) => r.dispatchRule).sort()).toEqual(['chattering', 'shelved-often']);
  });

  it('shelves before a restart still count (from the alarm journal’s audit log)', async () => {
    loop = await startLoop(CONFIG);
    const shelveOnce = () => {
      loop.raise('booster.co:HH');
      loop.alarms.shelve('booster.co:HH', 'op-gas', { durationMs: HOUR, reason: '检修' });
      loop.advance(MIN);
      loop.clear('booster.co:HH');
      loop.alarms.unshelve('booster.co:HH', 'op-gas');
      loop.advance(DAY);
    };
    shelveOnce();
    shelveOnce();
    await loop.restart();
    expect(open()).toHaveLength(0);
    shelveOnce();
    expect(open().map((r) => r.dispatchRule)).toEqual(['shelved-often']);
  });

  it('an alarm active across a restart is timed from its activeSince', async () => {
    loop = await startLoop(CONFIG);
    loop.raise('booster.co:HH');
    loop.advance(3 * MIN);
    await loop.restart();
    loop.advance(2 * MIN + 1);
    expect(open()).toHaveLength(1);
  });
});

describe('permissions for every transition', () => {
  it('operators register and rectify in their areas; supervisors and engineers assess and accept; viewers nothing', async () => {
    loop = await startLoop(CONFIG);
    const { loop: l, store } = loop.service;
    const reg = (user: keyof typeof USERS, area: string) => () => l.register({ dangerName: '护栏缺失', dangerDesc: '二层平台东侧护栏缺失', area, dangerLevel: 'general', dangerSrc: 'daily', dangerManageType: 'deadline', alarmIds: [] }, USERS[user]!);
    // register is checked by the API (area); the loop's own checks are the state moves.
    const id = reg('opGas', 'gas')().after.id;
    const tryMove = (kind: 'assess' | 'start' | 'submit' | 'accept' | 'reject', user: keyof typeof USERS) => {
      const input = { assess: { dangerLevel: 'general', dangerManageType: 'deadline', controlMeasures: '补装护栏' }, start: {}, submit: { rectification: '已补装' }, accept: { comment: '合格' }, reject: { reason: '高度不足' } }[kind];
      try {
        l.move(id, kind, input, USERS[user]!);
        return 'ok';
      } catch (err) {
        return (err as { status?: number }).status;
      }
    };
    // assess: not operators, not viewers, not an engineer of another area.
    expect(tryMove('assess', 'opGas')).toBe(403);
    expect(tryMove('assess', 'viewer')).toBe(403);
    expect(tryMove('assess', 'engDust')).toBe(403);
    expect(tryMove('start', 'super')).toBe(409); // wrong state
    expect(tryMove('assess', 'super')).toBe('ok');
    // start / submit: operators of the area (not of another area, not engineers).
    expect(tryMove('start', 'opDust')).toBe(403);
    expect(tryMove('start', 'eng')).toBe(403);
    expect(tryMove('start', 'opGas')).toBe('ok');
    expect(tryMove('submit', 'viewer')).toBe(403);
    expect(tryMove('accept', 'super')).toBe(409); // not submitted yet
    expect(tryMove('submit', 'opGas2')).toBe('ok');
    // accept / reject: supervisors and engineers, not operators, not the rectifier.
    expect(tryMove('accept', 'opGas')).toBe(403);
    expect(tryMove('reject', 'opGas')).toBe(403);
    expect(tryMove('reject', 'engDust')).toBe(403);
    expect(tryMove('reject', 'admin')).toBe('ok');
    expect(tryMove('submit', 'opGas')).toBe('ok');
    expect(tryMove('accept', 'opGas')).toBe(403);
    expect(tryMove('accept', 'eng')).toBe('ok');
    expect(tryMove('reject', 'super')).toBe(409); // closed
    expect(store.get(id)!.state).toBe('closed');
  });
});
