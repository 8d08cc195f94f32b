import type { Role } from '../auth/permissions.js';
import { can } from '../auth/permissions.js';
import { aclAllows, aclAllowsSubscribe, type AclRules } from './acl-file.js';
import { filterCovers, topicMatches, unshare } from './topic-filter.js';
import { topics } from './topics.js';

/** Who a connected client is, fixed at login. */
export type BrokerIdentity =
  | { kind: 'internal' }
  | { kind: 'anonymous' }
  /** `role` undefined: a user of the mosquitto password file, governed by the acl file alone. */
  | { kind: 'user'; name: string; role?: Role | undefined; areas: readonly string[] };

export type Decision = { ok: true } | { ok: false; reason: string };
const OK: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

/**
 * The embedded broker's access rules, in order:
 * 1. the gateway's own credential may do anything;
 * 2. `$SYS` is readable by admins only and writable by nobody; other `$` topics are closed;
 * 3. only the gateway writes under gw/<id>/ outside gw/<id>/ingest/ (no file can grant it);
 * 4. an explicit `deny` in the acl file;
 * 5. built-in grants by role: people (viewer … admin) read gw/<id>/#; a device writes its own ingest
 *    topic gw/<id>/ingest/<its user name>[/…]; anonymous clients (when allowed) read gw/<id>/#;
 * 6. the acl file (mosquitto semantics), when there is one; without one, password-file users may do
 *    what mosquitto would let them (anything not closed above), everyone else nothing more.
 */
export class AccessPolicy {
  private readonly root: string;
  private readonly ingestRoot: string;

  constructor(
    gatewayId: string,
    private acl: AclRules | undefined,
  ) {
    this.root = topics.root(gatewayId);
    this.ingestRoot = `${this.root}ingest/`;
  }

  setAcl(acl: AclRules | undefined): void {
    this.acl = acl;
  }

  private aclClient(id: BrokerIdentity, clientId: string) {
    return { username: id.kind === 'user' ? id.name : undefined, clientId };
  }

  private roleReads(id: BrokerIdentity): boolean {
    if (id.kind === 'anonymous') return true;
    return id.kind === 'user' && id.role !== undefined && can({ name: id.name, role: id.role, areas: id.areas }, 'mqtt.read');
  }

  private ownIngest(id: BrokerIdentity): string | undefined {
    if (id.kind !== 'user' || id.role === undefined || !can({ name: id.name, role: id.role, areas: id.areas }, 'mqtt.ingest')) return undefined;
    return `${this.ingestRoot}${id.name}`;
  }

  private isAdmin(id: BrokerIdentity): boolean {
    return id.kind === 'user' && id.role !== undefined && can({ name: id.name, role: id.role, areas: id.areas }, 'mqtt.sys');
  }

  /** Without an acl file, may this identity do what mosquitto (no acl_file) allows? */
  private openWithoutAcl(id: BrokerIdentity): boolean {
    return !this.acl && id.kind === 'user' && id.role === undefined;
  }

  publish(id: BrokerIdentity, clientId: string, topic: string): Decision {
    if (id.kind === 'internal') return OK;
    if (topic.startsWith('$')) return no('$ topics are reserved for the broker');
    if (topic.startsWith(this.root) && !topic.startsWith(this.ingestRoot)) return no(`only the gateway publishes under ${this.root}`);
    const client = this.aclClient(id, clientId);
    if (this.acl && this.explicitlyDenied(client, topic)) return no('denied by the acl file');
    const own = this.ownIngest(id);
    if (own && (topic === own || topic.startsWith(`${own}/`))) return OK;
    if (this.acl) return aclAllows(this.acl, client, topic, 'write') ? OK : no('not granted by the acl file');
    return this.openWithoutAcl(id) ? OK : no(id.kind === 'user' && id.role === 'device' ? `a device publishes only to ${this.ingestRoot}<its user name>` : 'no write grant');
  }

  /** Delivery of one message (and retained messages at subscribe). */
  read(id: BrokerIdentity, clientId: string, topic: string): boolean {
    if (id.kind === 'internal') return true;
    if (topic.startsWith('$')) return topic.startsWith('$SYS/') && this.isAdmin(id);
    const client = this.aclClient(id, clientId);
    if (this.acl && this.explicitlyDenied(client, topic)) return false;
    if (this.roleReads(id) && topic.startsWith(this.root)) return true;
    if (this.acl) return aclAllows(this.acl, client, topic, 'read');
    return this.openWithoutAcl(id);
  }

  subscribe(id: BrokerIdentity, clientId: string, rawFilter: string): Decision {
    if (id.kind === 'internal') return OK;
    const filter = unshare(rawFilter);
    if (!filter) return no('empty shared-subscription filter');
    if (filter.startsWith('$')) return filter.startsWith('$SYS/') || filter === '$SYS' ? (this.isAdmin(id) ? OK : no('$SYS is for admins')) : no('$ topics are reserved');
    const client = this.aclClient(id, clientId);
    if (this.roleReads(id) && filterCovers(`${this.root}#`, filter)) return this.acl && this.denyCovers(client, filter) ? no('denied by the acl file') : OK;
    if (this.acl) return aclAllowsSubscribe(this.acl, client, filter) ? OK : no(`no read grant covers ${filter}`);
    return this.openWithoutAcl(id) ? OK : no(`no read grant covers ${filter}`);
  }

  private explicitlyDenied(client: { username?: string | undefined; clientId: string }, topic: string): boolean {
    const acl = this.acl!;
    const own = acl.users.get(client.username ?? null) ?? [];
    // A deny is checked ahead of the role's built-in grants; the file's own grants come after.
    for (const e of own) if (e.access === 'deny' && topicMatches(e.topic, topic)) return true;
    if (/[+#/]/.test(client.username ?? '') || /[+#/]/.test(client.clientId)) return false;
    for (const p of acl.patterns) {
      if (p.access !== 'deny') continue;
      if (p.topic.includes('%u') && client.username === undefined) continue;
      const t = p.topic.replace(/%([cu])/g, (w, k: string) => (k === 'c' ? client.clientId : (client.username ?? w)));
      if (topicMatches(t, topic)) return true;
    }
    return false;
  }

  private denyCovers(client: { username?: string | undefined; clientId: string }, filter: string): boolean {
    const own = this.acl!.users.get(client.username ?? null) ?? [];
    return own.some((e) => e.access === 'deny' && filterCovers(e.topic, filter));
  }
}
