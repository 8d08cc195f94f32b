import type { WarningKind, WarningLevel } from '../../core/platform-warning.js';
import { WARNING_KIND_NAMES } from '../../core/platform-warning.js';
import type { EnterpriseAlarm, GatewayLive } from './intake.js';

/** Settings of the centre rules (centre.rules in the config). */
export interface CentreRuleSettings {
  offlineWarningAfter: number;
  unackedSeverity4After: number;
  repeatedAlarmCount: number;
  repeatedWindow: number;
}

/** A warning the rules want raised; dedupKey makes each situation raise one warning only. */
export interface WarningCandidate {
  dedupKey: string;
  enterpriseCode: string;
  gatewayCode: string | undefined;
  kind: WarningKind;
  level: WarningLevel;
  title: string;
  content: string;
  pointCode?: string;
  alarmKey?: string;
}

export interface RuleInput {
  now: number;
  enterprises: readonly { code: string; name: string }[];
  gateways: Iterable<GatewayLive>;
  alarms: ReadonlyMap<string, ReadonlyMap<string, EnterpriseAlarm>>;
  /** enterprise code → point code → live activation times (ms), oldest first. */
  activations: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>;
  pointName(enterpriseCode: string, pointCode: string): string | undefined;
}

const MINUTE = 60_000;

function minutes(ms: number): string {
  return ms >= 3_600_000 && ms % 3_600_000 === 0 ? `${ms / 3_600_000} 小时` : `${Math.round(ms / MINUTE)} 分钟`;
}

function local(ts: number): string {
  return new Date(ts + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The centre rules, a pure function of the centre's state and the time (no I/O, no wall clock):
 * an enterprise offline longer than offlineWarningAfter; a severity-4 alarm still unacknowledged at
 * the enterprise after unackedSeverity4After; repeatedAlarmCount activations of one point's alarms
 * within repeatedWindow. Each candidate carries the key that makes it one warning per situation.
 */
export function evaluateCentreRules(s: CentreRuleSettings, input: RuleInput): WarningCandidate[] {
  const out: WarningCandidate[] = [];
  const names = new Map(input.enterprises.map((e) => [e.code, e.name]));
  const byEnterprise = new Map<string, GatewayLive[]>();
  for (const g of input.gateways) {
    const list = byEnterprise.get(g.enterpriseCode) ?? [];
    list.push(g);
    byEnterprise.set(g.enterpriseCode, list);
  }
  if (s.offlineWarningAfter > 0) {
    for (const [ent, gws] of byEnterprise) {
      const name = names.get(ent);
      if (name === undefined || gws.some((g) => g.online) || gws.every((g) => g.lastSeen === undefined)) continue;
      const lastSeen = Math.max(...gws.map((g) => g.lastSeen ?? 0));
      if (input.now - lastSeen < s.offlineWarningAfter) continue;
      out.push({
        dedupKey: `offline:${ent}:${lastSeen}`,
        enterpriseCode: ent,
        gatewayCode: gws.find((g) => g.lastSeen === lastSeen)?.gatewayCode,
        kind: 'offline',
        level: 2,
        title: `${name}：${WARNING_KIND_NAMES.offline}`,
        content: `${name} 监测数据自 ${local(lastSeen)} 起中断已超过 ${minutes(s.offlineWarningAfter)}，请立即核查网关及网络并恢复上传，反馈原因及恢复情况。`,
      });
    }
  }
  for (const [ent, alarms] of input.alarms) {
    const name = names.get(ent);
    if (name === undefined) continue;
    if (s.unackedSeverity4After > 0) {
      for (const a of alarms.values()) {
        if (!a.active || a.acked || a.level < 4 || input.now - a.startedAt < s.unackedSeverity4After) continue;
        const point = input.pointName(ent, a.pointCode) ?? a.pointCode;
        out.push({
          dedupKey: `unacked_alarm:${ent}:${a.alarmKey}`,
          enterpriseCode: ent,
          gatewayCode: a.gatewayCode,
          kind: 'unacked_alarm',
          level: 4,
          title: `${name}：重大报警超时未确认`,
          content: `${name} ${point}（${a.pointCode}）${a.alarmType} 红色报警自 ${local(a.startedAt)} 起超过 ${minutes(s.unackedSeverity4After)} 未确认${a.message ? `：${a.message}` : ''}。请立即组织处置并反馈。`,
          pointCode: a.pointCode,
          alarmKey: a.alarmKey,
        });
      }
    }
  }
  if (s.repeatedAlarmCount > 0) {
    for (const [ent, points] of input.activations) {
      const name = names.get(ent);
      if (name === undefined) continue;
      for (const [pointCode, times] of points) {
        const recent = times.filter((t) => input.now - t < s.repeatedWindow);
        if (recent.length < s.repeatedAlarmCount) continue;
        const point = input.pointName(ent, pointCode) ?? pointCode;
        // One warning per window: the key is the start of the window the count was reached in.
        const windowStart = Math.floor(recent[s.repeatedAlarmCount - 1]! / s.repeatedWindow) * s.repeatedWindow;
        out.push({
          dedupKey: `repeated_alarm:${ent}:${pointCode}:${windowStart}`,
          enterpriseCode: ent,
          gatewayCode: undefined,
          kind: 'repeated_alarm',
          level: 3,
          title: `${name}：${WARNING_KIND_NAMES.repeated_alarm}`,
          content: `${name} ${point}（${pointCode}）在 ${minutes(s.repeatedWindow)} 内报警 ${recent.length} 次，请排查原因（工艺、设备或仪表），消除隐患并反馈。`,
          pointCode,
        });
      }
    }
  }
  return out;
}
