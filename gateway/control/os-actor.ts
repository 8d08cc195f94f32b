import { auditName } from '../auth/alarm-authorization.js';
import type { OsUserLinks } from '../auth/os-user-links.js';
import type { Principal } from '../auth/permissions.js';
import type { UserStore } from '../auth/user-store.js';
import type { PeerIdentity } from './peer-identity.js';

/** Who acts on a control connection: the gateway principal, and the name the journal records. */
export interface ControlActor {
  peer: PeerIdentity;
  principal: Principal;
  auditName: string;
}

export interface OsActorDeps {
  links: OsUserLinks;
  users: UserStore;
  /** OS users who act without a link, as `os:<name>` with the admin role. */
  trustedOsUsers: ReadonlySet<string>;
}

/**
 * The actor for an identified OS user, or the reason it may not act. A link wins over trust (root
 * linked to 张三 acts as 张三); a link to a missing or disabled user grants nothing.
 */
export function resolveOsActor(peer: PeerIdentity, deps: OsActorDeps): ControlActor | { refused: string } {
  const linked = deps.links.userOf(peer.osUser);
  if (linked !== undefined) {
    const user = deps.users.get(linked);
    if (!user) return { refused: `OS user "${peer.osUser}" is linked to gateway user "${linked}", which does not exist` };
    if (user.disabled) return { refused: `OS user "${peer.osUser}" is linked to gateway user "${linked}", which is disabled` };
    return { peer, principal: user, auditName: auditName(user, peer.osUser) };
  }
  if (deps.trustedOsUsers.has(peer.osUser)) {
    const principal: Principal = { name: `os:${peer.osUser}`, role: 'admin', areas: ['*'] };
    return { peer, principal, auditName: auditName(principal, peer.osUser) };
  }
  return { refused: `OS user "${peer.osUser}" is not linked to a gateway user (an admin links it: users link-os ${peer.osUser} <gateway user>)` };
}
