import { AttributeIds, makeBrowsePath, resolveNodeId, type ClientSession, type NodeId } from 'node-opcua';
import type { OpcuaPoint } from './config.js';
import { mapStatusCode, type MappedQuality } from './quality.js';

export type Resolution = { ok: true; nodeId: NodeId } | { ok: false; problem: MappedQuality };

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `nsu=<uri>;s=Tag` → `ns=<index>;s=Tag` using the server's NamespaceArray; other forms unchanged. */
export function substituteNamespaceUri(text: string, namespaces: readonly string[]): string | undefined {
  const m = /^nsu=([^;]+);(.+)$/.exec(text);
  if (!m) return text;
  const index = namespaces.indexOf(m[1]!);
  return index < 0 ? undefined : `ns=${index};${m[2]}`;
}

/**
 * NodeIds of points, by NodeId text or browse path (translated on the server, in chunks). A point
 * that does not resolve gets its own problem; the others are unaffected.
 */
export async function resolvePoints(session: ClientSession, points: readonly OpcuaPoint[], maxPerCall: number): Promise<Map<string, Resolution>> {
  const out = new Map<string, Resolution>();
  let namespaces: string[] | undefined;
  const byPath: OpcuaPoint[] = [];
  for (const p of points) {
    if (p.browsePath !== undefined) {
      byPath.push(p);
      continue;
    }
    let text = p.nodeId!;
    if (text.startsWith('nsu=')) {
      namespaces ??= await session.readNamespaceArray();
      const sub = substituteNamespaceUri(text, namespaces);
      if (sub === undefined) {
        out.set(p.id, { ok: false, problem: { quality: 'BadNodeIdUnknown', reason: `服务器没有命名空间 ${text.slice(4, text.indexOf(';'))}` } });
        continue;
      }
      text = sub;
    }
    try {
      out.set(p.id, { ok: true, nodeId: resolveNodeId(text) });
    } catch (err) {
      out.set(p.id, { ok: false, problem: { quality: 'BadConfigurationError', reason: `NodeId ${p.nodeId} 无法解析：${(err as Error).message}` } });
    }
  }
  for (const group of chunks(byPath, maxPerCall)) {
    const results = await session.translateBrowsePath(group.map((p) => makeBrowsePath('i=85', p.browsePath!)));
    group.forEach((p, i) => {
      const r = results[i];
      const target = r?.targets?.[0];
      if (r && r.statusCode.isGood() && target) {
        out.set(p.id, { ok: true, nodeId: resolveNodeId(target.targetId.toString()) });
      } else {
        const code = r?.statusCode ?? { value: 0x806f0000, name: 'BadNoMatch' };
        const mapped = mapStatusCode(code.value, code.name);
        out.set(p.id, { ok: false, problem: { quality: mapped.quality === 'Bad' ? 'BadNodeIdUnknown' : mapped.quality, reason: `浏览路径 ${p.browsePath} 找不到节点（${mapped.reason ?? code.name}）` } });
      }
    });
  }
  return out;
}

export interface ServerPointInfo {
  /** EUInformation display name (unit symbol) when the variable has EngineeringUnits. */
  unit?: string;
  euRange?: { low: number; high: number };
}

interface EuInformationLike {
  displayName?: { text?: string | null } | null;
}
interface RangeLike {
  low?: number;
  high?: number;
}

/**
 * EngineeringUnits and EURange of each node, where the server has them (AnalogItemType variables).
 * Missing properties are simply absent; errors leave the map partial rather than failing the session.
 */
export async function readEngineeringInfo(session: ClientSession, nodes: ReadonlyMap<string, NodeId>, maxPerCall: number): Promise<Map<string, ServerPointInfo>> {
  const out = new Map<string, ServerPointInfo>();
  const entries = [...nodes.entries()];
  for (const group of chunks(entries, Math.max(1, Math.floor(maxPerCall / 2)))) {
    const paths = group.flatMap(([, nodeId]) => [makeBrowsePath(nodeId, '.EngineeringUnits'), makeBrowsePath(nodeId, '.EURange')]);
    const translated = await session.translateBrowsePath(paths);
    const reads: Array<{ point: string; what: 'unit' | 'range'; nodeId: NodeId }> = [];
    translated.forEach((r, i) => {
      const target = r.statusCode.isGood() ? r.targets?.[0] : undefined;
      if (target) reads.push({ point: group[Math.floor(i / 2)]![0], what: i % 2 === 0 ? 'unit' : 'range', nodeId: resolveNodeId(target.targetId.toString()) });
    });
    if (reads.length === 0) continue;
    const values = await session.read(reads.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })));
    values.forEach((dv, i) => {
      const r = reads[i]!;
      if (!dv.statusCode.isGood()) return;
      const info = out.get(r.point) ?? {};
      const v = dv.value.value as unknown;
      if (r.what === 'unit') {
        const text = (v as EuInformationLike | null)?.displayName?.text;
        if (text) info.unit = text;
      } else {
        const range = v as RangeLike | null;
        if (range && typeof range.low === 'number' && typeof range.high === 'number') info.euRange = { low: range.low, high: range.high };
      }
      out.set(r.point, info);
    });
  }
  return out;
}
