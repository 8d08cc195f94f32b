/**
 * MQTT topic filter arithmetic for access control: does a filter match a topic, and does one filter
 * cover every topic another one can match (subsumption, for checking wildcard subscriptions).
 * Topics beginning with '$' are matched only by filters whose first level begins with '$' too
 * (MQTT 3.1.1 §4.7.2), as mosquitto does for ACL entries.
 */

/** True when `filter` (may hold + and #) matches the concrete `topic`. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * True when every topic `inner` can match is matched by `outer`. `#` under `plant/a/#` is not:
 * a grant for plant/a/# must not let a client subscribe to everything.
 */
export function filterCovers(outer: string, inner: string): boolean {
  if (inner.startsWith('$') && !outer.startsWith('$')) return false;
  // A filter whose first level is a wildcard matches no $ topic; a $ grant cannot cover it.
  if (outer.startsWith('$') && !inner.startsWith('$')) return false;
  const o = outer.split('/');
  const n = inner.split('/');
  for (let j = 0; j < o.length; j++) {
    const g = o[j];
    if (g === '#') return j === o.length - 1;
    if (j >= n.length) return false;
    const f = n[j];
    if (f === '#') return false;
    if (f === '+') {
      if (g !== '+') return false;
    } else if (g !== '+' && g !== f) return false;
  }
  return o.length === n.length;
}

/** A syntactically valid MQTT topic filter: `#` only as the last level, `+` only as a whole level. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65535) return false;
  const levels = filter.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

/** `$share/<group>/<filter>` → `<filter>` (ACLs apply to the filter, not the share group). */
export function unshare(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(slash + 1);
}
