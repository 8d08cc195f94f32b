import { describe, expect, it } from 'vitest';
import { evaluateCentreRules, type CentreRuleSettings, type RuleInput } from '../../../../gateway/services/centre/centre-rules.js';
import type { EnterpriseAlarm, GatewayLive } from '../../../../gateway/services/centre/intake.js';

const S: CentreRuleSettings = { offlineWarningAfter: 30 * 60_000, unackedSeverity4After: 10 * 60_000, repeatedAlarmCount: 3, repeatedWindow: 86_400_000 };
const ENT = '91350100M000100Y43';
const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

function input(over: Partial<RuleInput>): RuleInput {
  return { now: T0, enterprises: [{ code: ENT, name: '甲钢铁' }], gateways: [], alarms: new Map(), activations: new Map(), pointName: () => '加压机房CO', ...over };
}
const gw = (lastSeen: number, online: boolean): GatewayLive => ({ enterpriseCode: ENT, gatewayCode: 'gw-1', lastSeq: 1, lastTimestamp: lastSeen, lastSeen, online, since: lastSeen });
const alarm = (over: Partial<EnterpriseAlarm>): EnterpriseAlarm => ({
  enterpriseCode: ENT, gatewayCode: 'gw-1', alarmKey: 'k1', pointCode: 'CO-1', alarmType: 'HH', level: 4, active: true, state: 'UNACK', acked: false, message: 'CO 超高高限', startedAt: T0 - 11 * 60_000, updatedAt: T0 - 11 * 60_000, ...over,
});

describe('centre rules (pure, virtual time)', () => {
  it('warns an enterprise offline longer than the limit, once per outage', () => {
    expect(evaluateCentreRules(S, input({ gateways: [gw(T0 - 29 * 60_000, false)] }))).toEqual([]);
    const [w, ...rest] = evaluateCentreRules(S, input({ gateways: [gw(T0 - 31 * 60_000, false)] }));
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ kind: 'offline', level: 2, gatewayCode: 'gw-1', dedupKey: `offline:${ENT}:${T0 - 31 * 60_000}` });
    expect(w!.content).toContain('30 分钟');
    // Still offline a minute later: the same situation, the same key.
    expect(evaluateCentreRules(S, input({ now: T0 + 60_000, gateways: [gw(T0 - 31 * 60_000, false)] }))[0]!.dedupKey).toBe(w!.dedupKey);
    expect(evaluateCentreRules(S, input({ gateways: [gw(T0 - 31 * 60_000, true)] }))).toEqual([]);
  });

  it('warns a severity-4 alarm unacknowledged after N minutes, not an acknowledged or lower one', () => {
    const alarms = (a: EnterpriseAlarm) => new Map([[ENT, new Map([[a.alarmKey, a]])]]);
    expect(evaluateCentreRules(S, input({ alarms: alarms(alarm({})) }))).toMatchObject([{ kind: 'unacked_alarm', level: 4, pointCode: 'CO-1', alarmKey: 'k1' }]);
    expect(evaluateCentreRules(S, input({ alarms: alarms(alarm({ acked: true, state: 'ACKED' })) }))).toEqual([]);
    expect(evaluateCentreRules(S, input({ alarms: alarms(alarm({ level: 3 })) }))).toEqual([]);
    expect(evaluateCentreRules(S, input({ alarms: alarms(alarm({ startedAt: T0 - 9 * 60_000 })) }))).toEqual([]);
  });

  it('warns repeated alarms of one point within the window', () => {
    const acts = (times: number[]) => new Map([[ENT, new Map([['CO-1', times]])]]);
    expect(evaluateCentreRules(S, input({ activations: acts([T0 - 3600_000, T0 - 1800_000]) }))).toEqual([]);
    expect(evaluateCentreRules(S, input({ activations: acts([T0 - 25 * 3600_000, T0 - 3600_000, T0 - 1800_000]) }))).toEqual([]);
    const [w] = evaluateCentreRules(S, input({ activations: acts([T0 - 3600_000, T0 - 1800_000, T0 - 60_000]) }));
    expect(w).toMatchObject({ kind: 'repeated_alarm', level: 3, pointCode: 'CO-1' });
    expect(w!.content).toContain('报警 3 次');
  });

  it('ignores enterprises that are not in the register', () => {
    expect(evaluateCentreRules(S, input({ enterprises: [], gateways: [gw(T0 - 31 * 60_000, false)] }))).toEqual([]);
  });
});
