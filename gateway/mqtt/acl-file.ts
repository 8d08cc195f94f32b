import { readFileSync } from 'node:fs';
import { filterCovers, topicMatches } from './topic-filter.js';

/**
 * A mosquitto `acl_file`, read and evaluated the way mosquitto 2.0 does:
 *
 *   # comment
 *   topic [read|write|readwrite|deny] <topic>   before any `user` line: anonymous clients
 *   user <username>                             following `topic` lines are this user's
 *   pattern [read|write|readwrite|deny] <topic> every client; %u = user name, %c = client id
 *
 * The access word is optional (readwrite). A client's own `topic` entries are checked before the
 * patterns; within each list `deny` entries come first; the first matching entry that grants the
 * access allows, and no match denies. A pattern is never applied for a client whose user name or
 * client id holds '+', '#' or '/' (it could otherwise name someone else's topic).
 */
export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

export interface AclEntry {
  access: AclAccess;
  topic: string;
  /** Where it came from, for messages. */
  line: number;
}

export interface AclRules {
  file: string;
  /** user name → entries; the key null holds the anonymous section. Deny entries first. */
  users: Map<string | null, AclEntry[]>;
  patterns: AclEntry[];
}

export interface AclClient {
  username?: string | undefined;
  clientId: string;
}

const ACCESS = new Set(['read', 'write', 'readwrite', 'deny']);

export function parseAclFile(text: string, file: string): AclRules {
  const users = new Map<string | null, AclEntry[]>();
  const patterns: AclEntry[] = [];
  let user: string | null = null;
  const add = (list: AclEntry[], e: AclEntry) => (e.access === 'deny' ? list.unshift(e) : list.push(e));
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/[\r\n]+$/, '');
    const n = i + 1;
    if (line.startsWith('#')) return;
    // mosquitto splits on single spaces and skips empty tokens; the topic is the rest of the line.
    const m = /^ *(\S+)(?: +(.*))?$/.exec(line);
    if (!m) return;
    const keyword = m[1]!;
    const rest = m[2] ?? '';
    if (keyword === 'topic' || keyword === 'pattern') {
      const t = /^(\S+)(?: +(.*))?$/.exec(rest);
      if (!t) throw new Error(`${file}:${n}: empty topic`);
      let access: AclAccess = 'readwrite';
      let topic: string;
      if (t[2] !== undefined && t[2].trim() !== '') {
        if (!ACCESS.has(t[1]!)) throw new Error(`${file}:${n}: invalid topic access type "${t[1]}" (read, write, readwrite or deny)`);
        access = t[1] as AclAccess;
        topic = t[2].replace(/^ +/, '');
      } else topic = t[1]!;
      const entry = { access, topic, line: n };
      if (keyword === 'pattern') add(patterns, entry);
      else {
        if (!users.has(user)) users.set(user, []);
        add(users.get(user)!, entry);
      }
    } else if (keyword === 'user') {
      const name = rest.replace(/^ +/, '');
      if (!name) throw new Error(`${file}:${n}: missing user name`);
      user = name;
    }
  });
  return { file, users, patterns };
}

export function loadAclFile(file: string): AclRules {
  return parseAclFile(readFileSync(file, 'utf8'), file);
}

function grants(entry: AclEntry, access: 'read' | 'write'): boolean {
  return entry.access === 'readwrite' || entry.access === access;
}

function substitute(topic: string, client: AclClient): string {
  return topic.replace(/%([cu])/g, (whole, k: string) => (k === 'c' ? client.clientId : (client.username ?? whole)));
}

function patternsApply(client: AclClient): boolean {
  return !/[+#/]/.test(client.username ?? '') && !/[+#/]/.test(client.clientId);
}

/** The entries that apply to this client: its own (or the anonymous ones), then the patterns, substituted. */
function entriesFor(rules: AclRules, client: AclClient): AclEntry[] {
  const own = rules.users.get(client.username ?? null) ?? [];
  if (!patternsApply(client)) return own;
  const patterns = rules.patterns.filter((p) => client.username !== undefined || !p.topic.includes('%u')).map((p) => ({ ...p, topic: substitute(p.topic, client) }));
  return [...own, ...patterns];
}

/** Mosquitto's answer for reading (delivery) or writing (publish) a concrete topic. */
export function aclAllows(rules: AclRules, client: AclClient, topic: string, access: 'read' | 'write'): boolean {
  const own = rules.users.get(client.username ?? null) ?? [];
  const decide = (list: AclEntry[], sub: (t: string) => string): boolean | undefined => {
    for (const e of list) {
      if (!topicMatches(sub(e.topic), topic)) continue;
      if (e.access === 'deny') return false;
      if (grants(e, access)) return true;
    }
    return undefined;
  };
  const byOwn = decide(own, (t) => t);
  if (byOwn !== undefined) return byOwn;
  if (!patternsApply(client)) return false;
  const patterns = client.username !== undefined ? rules.patterns : rules.patterns.filter((p) => !p.topic.includes('%u'));
  return decide(patterns, (t) => substitute(t, client)) ?? false;
}

/**
 * May this client subscribe to `filter`? Only when one read grant covers every topic the filter can
 * match and no deny entry covers it all; deliveries are checked again one by one, so a deny entry for
 * part of the filter still holds.
 */
export function aclAllowsSubscribe(rules: AclRules, client: AclClient, filter: string): boolean {
  for (const e of entriesFor(rules, client)) {
    if (!filterCovers(e.topic, filter)) continue;
    if (e.access === 'deny') return false;
    if (grants(e, 'read')) return true;
  }
  return false;
}
