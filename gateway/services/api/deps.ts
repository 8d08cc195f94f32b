import type { AlarmManager, AlarmStatus } from '../../alarms/alarm-manager.js';
import type { ApiTokenStore } from '../../auth/tokens.js';
import type { LoginLimiter } from '../../auth/login-limiter.js';
import type { SecurityAudit } from '../../auth/security-audit.js';
import type { SessionStore } from '../../auth/sessions.js';
import type { UserStore } from '../../auth/user-store.js';
import type { PointRegistry } from '../../core/point-registry.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { HttpSection } from '../http/config.js';
import type { HistoryService } from '../history/service.js';
import type { TrendSource } from '../../sinks/influx/trend-source.js';
import type { JournalQuery } from './journal-query.js';

/** What the API's route modules share. */
export interface ApiDeps {
  gatewayId: string;
  alarms: AlarmManager;
  points: PointRegistry;
  users: UserStore;
  sessions: SessionStore;
  tokens: ApiTokenStore;
  limiter: LoginLimiter;
  audit: SecurityAudit;
  journal: JournalQuery | undefined;
  history: () => HistoryService | undefined;
  /** Trends from InfluxDB / VictoriaMetrics when configured (influx.trends); the local history is the fallback. */
  trends: TrendSource | undefined;
  http: HttpSection;
  /** alarms.maxShelve: the longest shelve anyone may set. */
  maxShelveMs: number;
  floodOptions: { threshold: number; windowMs: number };
  secureCookies: boolean;
  now(): number;
  log: Logger;
  metrics: Metrics;
}

/** An alarm as the API shows it: the manager's status plus the point's name and equipment. */
export type AlarmView = AlarmStatus & { pointName: string; equipment: string | null };

export function alarmView(points: PointRegistry, s: AlarmStatus): AlarmView {
  const p = points.get(s.point);
  return { ...s, pointName: p?.name ?? s.point, equipment: p?.equipment ?? null };
}

/** Standing: what the alarm summary lists — active, unacknowledged, latched, shelved or out of service. */
export function isStanding(s: AlarmStatus): boolean {
  return s.facts.active || s.state !== 'NORMAL';
}
