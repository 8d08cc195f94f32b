/**
 * Topic templates with named segments (after Telegraf's topic_parsing and the ThingsBoard gateway):
 * `plant/{area}/{sensor}/data` subscribes to `plant/+/+/data` and names the two wildcard levels.
 */
export interface CompiledTemplate {
  template: string;
  /** The MQTT filter to subscribe to. */
  filter: string;
  /** Segment names in order of appearance. */
  names: string[];
  /** Named segment values of a topic, or undefined when the topic does not match. */
  match(topic: string): Record<string, string> | undefined;
}

/** The named segments of a topic matched by a template without wildcards: none. Shared, so frozen. */
export const NO_SEGMENTS: Readonly<Record<string, string>> = Object.freeze({});

export function compileTemplate(template: string): CompiledTemplate {
  const levels = template.split('/');
  const names: string[] = [];
  const parts = levels.map((l, i) => {
    const named = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(l);
    if (named) {
      if (names.includes(named[1]!)) throw new Error(`topic template "${template}" names {${named[1]}} twice`);
      names.push(named[1]!);
      return { kind: 'named' as const, name: named[1]! };
    }
    if (l === '#') {
      if (i !== levels.length - 1) throw new Error(`topic template "${template}": # only as the last level`);
      return { kind: 'rest' as const };
    }
    if (l === '+') return { kind: 'any' as const };
    if (/[+#{}]/.test(l)) throw new Error(`topic template "${template}": level "${l}" mixes text with + # or { }`);
    return { kind: 'literal' as const, text: l };
  });
  const filter = parts.map((p) => (p.kind === 'named' || p.kind === 'any' ? '+' : p.kind === 'rest' ? '#' : p.text)).join('/');
  // A template without wildcards (the simple form's gw/<id>/ingest/<device>) matches one topic: a
  // string comparison, not a split per message, and no object per message: it has no named segments.
  if (parts.every((p) => p.kind === 'literal')) return { template, filter, names, match: (topic) => (topic === template ? NO_SEGMENTS : undefined) };
  return {
    template,
    filter,
    names,
    match(topic) {
      const t = topic.split('/');
      const out: Record<string, string> = {};
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (p.kind === 'rest') return out;
        if (i >= t.length) return undefined;
        if (p.kind === 'literal' && p.text !== t[i]) return undefined;
        if (p.kind === 'named') out[p.name] = t[i]!;
      }
      return t.length === parts.length ? out : undefined;
    },
  };
}
