/**
 * Roles and what they may do: one table for the MQTT broker, the HTTP API and the console. Humans
 * have the five console roles; machine clients (sensors, DTUs, AI video boxes) have `device`.
 *
 * Areas scope the alarm actions of operators (and of engineers and viewers, who have few):
 * a user whose `areas` holds '*' acts everywhere; supervisors and admins act in every area
 * whatever their list says (the issue gives supervisors "all areas").
 */
export const ROLES = ['viewer', 'operator', 'supervisor', 'engineer', 'admin', 'device'] as const;
export type Role = (typeof ROLES)[number];
export const HUMAN_ROLES: readonly Role[] = ['viewer', 'operator', 'supervisor', 'engineer', 'admin'];

export const ACTIONS = [
  // Reading (not area scoped: a viewer of one area still sees the whole plant's alarm list).
  'alarms.read',
  'journal.read',
  'points.read',
  'kpi.read',
  // Operator actions on an alarm (area scoped).
  'alarm.acknowledge',
  'alarm.comment',
  'alarm.assign',
  'alarm.silence',
  /** Shelve up to alarms.maxShelve (the operator's limit). */
  'alarm.shelve',
  /** Unshelve one's own shelve. */
  'alarm.unshelve',
  // Supervisor actions (area scoped, but supervisors have every area).
  /** Shelve beyond the operator's limit. */
  'alarm.shelve.extended',
  /** Unshelve a shelve another user made. */
  'alarm.unshelve.others',
  'alarm.outOfService',
  // Engineering.
  'limits.write',
  'config.write',
  'audit.read',
  // Hidden dangers (隐患闭环, gateway/services/hidden-danger): all but read are area scoped.
  'hazard.read',
  /** Register (登记) a hidden danger by hand, with photos. */
  'hazard.register',
  /** Assess (评估): level, measures, responsible person, deadline. */
  'hazard.assess',
  /** Start rectification (整改) and submit it for acceptance. */
  'hazard.rectify',
  /** Accept (验收销号) or reject a rectification. */
  'hazard.accept',
  // Administration.
  'users.manage',
  'tokens.manage',
  // Monitoring-centre role (gateway/services/centre).
  /** The register, live status, county figures, enterprise alarms, warnings and the daily report. */
  'centre.read',
  /** Add, edit and import enterprises (not their grade). */
  'centre.register.write',
  /** Change an enterprise's A/B/C/D grade (with a reason; audited). */
  'centre.grade.write',
  /** Issue a warning by hand. */
  'centre.warning.write',
  // MQTT (the broker's built-in ACL; the acl file may grant more per user).
  /** Subscribe to gw/<id>/#. */
  'mqtt.read',
  /** Publish to one's own ingest topic gw/<id>/ingest/<user name>. */
  'mqtt.ingest',
  /** Subscribe to $SYS/#. */
  'mqtt.sys',
] as const;
export type Action = (typeof ACTIONS)[number];

const READ: readonly Action[] = ['alarms.read', 'journal.read', 'points.read', 'kpi.read', 'mqtt.read', 'centre.read'];
const OPERATE: readonly Action[] = ['alarm.acknowledge', 'alarm.comment', 'alarm.assign', 'alarm.silence', 'alarm.shelve', 'alarm.unshelve'];
const SUPERVISE: readonly Action[] = ['alarm.shelve.extended', 'alarm.unshelve.others', 'alarm.outOfService'];
const ENGINEER: readonly Action[] = ['limits.write', 'config.write', 'audit.read'];
/** Operators register and rectify in their areas; supervisors and engineers assess and accept. */
const HAZARD_OPERATE: readonly Action[] = ['hazard.read', 'hazard.register', 'hazard.rectify'];
const HAZARD_SUPERVISE: readonly Action[] = ['hazard.read', 'hazard.register', 'hazard.assess', 'hazard.rectify', 'hazard.accept'];
const HAZARD_ENGINEER: readonly Action[] = ['hazard.read', 'hazard.register', 'hazard.assess', 'hazard.accept'];

/** What each role may do. Engineers configure but do not run the alarm board; they may comment. */
export const ROLE_ACTIONS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  viewer: new Set([...READ, 'hazard.read']),
  // At a centre: officers on duty (operator) issue warnings; the head of the centre (supervisor) also grades.
  operator: new Set([...READ, ...OPERATE, ...HAZARD_OPERATE, 'centre.warning.write']),
  supervisor: new Set([...READ, ...OPERATE, ...SUPERVISE, ...HAZARD_SUPERVISE, 'centre.warning.write', 'centre.grade.write', 'centre.register.write']),
  engineer: new Set([...READ, 'alarm.comment', ...ENGINEER, ...HAZARD_ENGINEER, 'centre.register.write']),
  admin: new Set(ACTIONS.filter((a) => a !== 'mqtt.ingest')),
  device: new Set(['mqtt.ingest']),
};

/** Actions checked against the user's areas when an area is given. */
const AREA_SCOPED: ReadonlySet<Action> = new Set([...OPERATE, ...SUPERVISE, 'hazard.register', 'hazard.assess', 'hazard.rectify', 'hazard.accept']);
const ALL_AREA_ROLES: ReadonlySet<Role> = new Set(['supervisor', 'admin']);

/** The part of a user the permission check needs (a stored user, a session, an API token's owner). */
export interface Principal {
  name: string;
  role: Role;
  /** Areas the user acts in; '*' = every area. */
  areas: readonly string[];
  disabled?: boolean;
}

export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** True when the user's areas cover `area` (supervisors and admins cover every area). */
export function coversArea(user: Principal, area: string): boolean {
  return ALL_AREA_ROLES.has(user.role) || user.areas.includes('*') || user.areas.includes(area);
}

/**
 * May `user` do `action` (on an alarm or point of `area`)? A disabled user may do nothing. Without an
 * area, an area-scoped action is allowed when the user has the role for it (e.g. to show the button);
 * the server passes the area of the alarm it acts on.
 */
export function can(user: Principal | undefined, action: Action, area?: string): boolean {
  if (!user || user.disabled) return false;
  if (!ROLE_ACTIONS[user.role].has(action)) return false;
  if (area !== undefined && AREA_SCOPED.has(action)) return coversArea(user, area);
  return true;
}
