import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/**
 * Anchors and aliases (`limits: *co` on a hundred points) are ordinary YAML, so the loader resolves
 * them without yaml's alias-count heuristic. What must stay bounded is the size of the data once
 * every alias is expanded: schema validation walks each expanded copy, and an alias bomb ("billion
 * laughs": nine nested levels of ten aliases each) would otherwise take hours or all memory.
 *
 * This counts the expanded nodes without expanding anything: each anchored node's expanded size is
 * computed once and an alias adds that size, so the walk is linear in the document's own size.
 */

/** Expanded values a config may have: a 50,000-point config has about 1 million. */
export const MAX_EXPANDED_NODES = 5_000_000;

export interface ExpansionProblem {
  message: string;
  line?: number;
  col?: number;
}

class TooLarge extends Error {
  constructor(readonly node: { range?: readonly number[] | null | undefined }) {
    super('too large');
  }
}

/**
 * A problem when the document, with aliases expanded, would exceed `limit` values, uses an alias
 * inside its own anchor, or has a key that is not a plain value.
 */
export function expansionProblem(doc: Document, lc: LineCounter, limit = MAX_EXPANDED_NODES): ExpansionProblem | undefined {
  // The latest node defining each anchor so far, in document order (a later anchor of the same name
  // shadows the earlier one, as in YAML).
  const anchors = new Map<string, unknown>();
  // Expanded size of every anchored node walked to its end; an anchor met again before its end is
  // an alias inside its own anchor.
  const sizes = new Map<unknown, number>();
  const at = (node: { range?: readonly number[] | null | undefined }) => {
    const start = node.range?.[0];
    if (start === undefined) return {};
    const pos = lc.linePos(start);
    return { line: pos.line, col: pos.col };
  };
  // Iterative walk (a deeply nested document must not overflow the stack): each frame sums its
  // children's sizes.
  type Frame = { node: unknown; children: unknown[]; next: number; size: number };
  const childrenOf = (node: unknown): unknown[] => {
    if (isMap(node)) {
      for (const p of node.items) {
        // JSON has no such keys: yaml would stringify them ("[object Object]") with a process warning.
        if (isPair(p) && (isMap(p.key) || isSeq(p.key) || isAlias(p.key))) throw Object.assign(new Error('a key must be a plain value (a name), not a list, a map or an alias'), { node: p.key });
      }
      return node.items.flatMap((p) => (isPair(p) ? [p.key, p.value] : [p]));
    }
    if (isSeq(node)) return node.items;
    if (isPair(node)) return [node.key, node.value];
    return [];
  };
  const stack: Frame[] = [];
  const enter = (node: unknown): number | undefined => {
    if (node === null || node === undefined) return 0;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return 0; // the parser reports an unknown anchor itself
      const size = sizes.get(target);
      if (size === undefined) throw Object.assign(new Error(`alias *${node.source} is used inside its own anchor &${node.source}`), { node });
      if (size > limit) throw new TooLarge(node);
      return size;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) {
      if (node.anchor) anchors.set(node.anchor, node);
    }
    const children = childrenOf(node);
    stack.push({ node, children, next: 0, size: 1 });
    return undefined;
  };
  const done = (frame: Frame): number => {
    const node = frame.node as { anchor?: string };
    if (node.anchor) sizes.set(node, frame.size);
    return frame.size;
  };
  try {
    enter(doc.contents);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.children.length) {
        const size = enter(top.children[top.next++]);
        if (size !== undefined) {
          top.size += size;
          if (top.size > limit) throw new TooLarge(top.node as { range?: number[] });
        }
        continue;
      }
      stack.pop();
      const size = done(top);
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.size += size;
        if (parent.size > limit) throw new TooLarge(parent.node as { range?: number[] });
      }
    }
  } catch (e) {
    if (e instanceof TooLarge) {
      return {
        message: `YAML aliases expand to more than ${limit.toLocaleString('en')} values (an alias bomb?); the config is refused`,
        ...at(e.node),
      };
    }
    const node = (e as { node?: { range?: number[] } }).node;
    if (node) return { message: `YAML: ${(e as Error).message}`, ...at(node) };
    throw e;
  }
  return undefined;
}
