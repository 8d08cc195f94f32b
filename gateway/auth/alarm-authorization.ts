import { can, type Action, type Principal } from './permissions.js';

/**
 * The permission decisions for operator actions on alarms, shared by the HTTP API and the control
 * socket (the CLI), so a user may do the same things through either door.
 */

/** A refused operator action; `field` names the request field at fault, when one is. */
export class ActionForbidden extends Error {}

/** Throws ActionForbidden unless `user` may do `action` on an alarm of `area`. */
export function requireAlarmAction(user: Principal, action: Action, area: string): void {
  if (!can(user, action, area)) throw new ActionForbidden(`权限不足 [forbidden]: ${user.name} (${user.role}) may not ${action} in area "${area}"`);
}

/**
 * What shelving for `durationMs` needs: an operator shelves up to `operatorMaxShelveMs`; longer, and
 * one-shot shelves (no duration: they last until the condition clears, however long), need a supervisor.
 */
export function shelveAction(durationMs: number | undefined, operatorMaxShelveMs: number): Action {
  return durationMs === undefined || durationMs > operatorMaxShelveMs ? 'alarm.shelve.extended' : 'alarm.shelve';
}

/**
 * The name an action is journaled under: the user's name, and for the CLI also the OS account that
 * ran it, as `张三 (os:zhangsan)`; `os:root` for a trusted OS account that acts without a link.
 */
export function auditName(user: Principal, osUser?: string): string {
  if (osUser === undefined) return user.name;
  return user.name === `os:${osUser}` ? user.name : `${user.name} (os:${osUser})`;
}

/** Whether a journaled name (see auditName) is `user`'s, through either door. */
export function isAuditNameOf(name: string, user: Principal): boolean {
  return name === user.name || name.startsWith(`${user.name} (os:`);
}

/** What unshelving needs: one's own shelve is an operator's; another user's needs a supervisor. */
export function unshelveAction(user: Principal, shelvedBy: string | undefined): Action {
  return shelvedBy !== undefined && !isAuditNameOf(shelvedBy, user) ? 'alarm.unshelve.others' : 'alarm.unshelve';
}
