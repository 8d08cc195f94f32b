import {
  AttributeIds,
  BrowseDirection,
  DataType,
  NodeClass,
  NodeClassMask,
  resolveNodeId,
  type BrowseResult,
  type ClientSession,
  type NodeId,
  type ReferenceDescription,
} from 'node-opcua';
import { readEngineeringInfo } from './resolve.js';

export interface BrowsedNode {
  /** Browse path from the root, in the form the config's `browsePath` takes, e.g. /1:BF1/1:TopPressure. */
  browsePath: string;
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: 'Object' | 'Variable';
  dataType?: string;
  /** Array length when the value is an array. */
  arrayLength?: number;
  value?: string;
  unit?: string;
  euRange?: { low: number; high: number };
  depth: number;
}

export interface BrowseOptions {
  root?: string;
  maxDepth?: number;
  /** Stop after this many nodes; big servers have hundreds of thousands. */
  maxNodes?: number;
  /** Include the standard Server object (diagnostics) under Objects. */
  includeServerObject?: boolean;
}

async function browseAll(session: ClientSession, nodeId: NodeId): Promise<ReferenceDescription[]> {
  let result: BrowseResult = await session.browse({
    nodeId,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    browseDirection: BrowseDirection.Forward,
    nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
    resultMask: 0x3f,
  });
  const refs = [...(result.references ?? [])];
  while (result.continuationPoint && result.continuationPoint.length > 0) {
    result = await session.browseNext(result.continuationPoint, false);
    refs.push(...(result.references ?? []));
  }
  return refs;
}

function shortValue(v: unknown): { text: string; arrayLength?: number } {
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const arr = Array.from(v as ArrayLike<unknown>);
    const head = arr.slice(0, 4).map((x) => (typeof x === 'number' ? String(Math.round(x * 1000) / 1000) : String(x)));
    return { text: `[${head.join(', ')}${arr.length > 4 ? ', …' : ''}]`, arrayLength: arr.length };
  }
  if (typeof v === 'number') return { text: String(Math.round(v * 1000) / 1000) };
  if (v === null || v === undefined) return { text: '(空)' };
  const s = typeof v === 'string' ? v : (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? typeof v);
  return { text: s.length > 40 ? s.slice(0, 40) + '…' : s };
}

/**
 * Walks the address space depth-first from `root` (default Objects): folders, objects and the
 * variables an engineer maps to points, with data type, current value and engineering units.
 * Properties of variables (EURange, EngineeringUnits) are folded into their variable.
 */
export async function browseAddressSpace(session: ClientSession, options: BrowseOptions = {}): Promise<BrowsedNode[]> {
  const maxDepth = options.maxDepth ?? 6;
  const maxNodes = options.maxNodes ?? 2000;
  const out: BrowsedNode[] = [];
  const seen = new Set<string>();

  const walk = async (nodeId: NodeId, path: string, depth: number, parentIsVariable: boolean): Promise<void> => {
    if (depth > maxDepth || out.length >= maxNodes) return;
    const refs = await browseAll(session, nodeId);
    for (const ref of refs) {
      if (out.length >= maxNodes) return;
      const id = ref.nodeId.toString();
      if (seen.has(id)) continue;
      const bn = `${ref.browseName.namespaceIndex}:${ref.browseName.name}`;
      if (!options.includeServerObject && depth === 0 && bn === '0:Server') continue;
      // Properties of a variable (EURange, EngineeringUnits, …) describe it; they are not points.
      if (parentIsVariable) continue;
      seen.add(id);
      // node-opcua declares NodeClass twice (node-opcua-types, node-opcua-data-model): same values, distinct enums.
      const isVariable = Number(ref.nodeClass) === Number(NodeClass.Variable);
      const node: BrowsedNode = {
        browsePath: `${path}/${bn}`,
        nodeId: id,
        browseName: ref.browseName.name ?? '',
        displayName: ref.displayName.text ?? '',
        nodeClass: isVariable ? 'Variable' : 'Object',
        depth,
      };
      out.push(node);
      await walk(resolveNodeId(id), node.browsePath, depth + 1, isVariable);
    }
  };
  const root = resolveNodeId(options.root ?? 'i=85');
  await walk(root, '', 0, false);

  const variables = out.filter((n) => n.nodeClass === 'Variable');
  for (let i = 0; i < variables.length; i += 500) {
    const chunk = variables.slice(i, i + 500);
    const values = await session.read(chunk.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value })));
    values.forEach((dv, j) => {
      const n = chunk[j]!;
      if (!dv.statusCode.isGood()) {
        n.value = dv.statusCode.name;
        return;
      }
      n.dataType = DataType[dv.value.dataType];
      const s = shortValue(dv.value.value);
      n.value = s.text;
      if (s.arrayLength !== undefined) n.arrayLength = s.arrayLength;
    });
  }
  const info = await readEngineeringInfo(session, new Map(variables.map((n) => [n.nodeId, resolveNodeId(n.nodeId)])), 500);
  for (const n of variables) {
    const i = info.get(n.nodeId);
    if (i?.unit) n.unit = i.unit;
    if (i?.euRange) n.euRange = i.euRange;
  }
  return out;
}

/** Tree text for the terminal. */
export function formatTree(nodes: readonly BrowsedNode[]): string {
  const lines = ['Objects'];
  for (const n of nodes) {
    const indent = '  '.repeat(n.depth + 1);
    if (n.nodeClass === 'Object') {
      lines.push(`${indent}${n.browseName}/  ${n.nodeId}  ${n.displayName !== n.browseName ? n.displayName : ''}`.trimEnd());
      continue;
    }
    const type = n.dataType ? `${n.dataType}${n.arrayLength !== undefined ? `[${n.arrayLength}]` : ''}` : '?';
    const unit = n.unit ? ` ${n.unit}` : '';
    const range = n.euRange ? ` (${n.euRange.low}…${n.euRange.high})` : '';
    const name = n.displayName !== n.browseName ? `  ${n.displayName}` : '';
    lines.push(`${indent}${n.browseName} = ${n.value ?? ''}${unit}${range}  ${type}  ${n.nodeId}${name}`);
    lines.push(`${indent}  browsePath: ${n.browsePath}`);
  }
  return lines.join('\n');
}

function pointIdFor(path: string): string {
  return path
    .split('/')
    .filter(Boolean)
    .map((seg) => seg.replace(/^\d+:/, ''))
    .map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]+/g, '_'))
    .join('.');
}

const yamlString = (s: string) => (/^[\w./:;=-]+$/.test(s) && !/^\d/.test(s) ? s : JSON.stringify(s));

/** A `points:` list to paste into the config (ids derived from the browse path; rename as needed). */
export function formatPointsYaml(nodes: readonly BrowsedNode[]): string {
  const lines = ['points:'];
  for (const n of nodes) {
    if (n.nodeClass !== 'Variable' || !n.dataType || !/Boolean|Byte|Int|Float|Double/.test(n.dataType)) continue;
    const count = n.arrayLength ?? 0;
    const elements = count > 0 ? Array.from({ length: Math.min(count, 64) }, (_, i) => i) : [undefined];
    for (const idx of elements) {
      lines.push(`  - id: ${pointIdFor(n.browsePath)}${idx !== undefined ? `_${idx + 1}` : ''}`);
      lines.push(`    name: ${yamlString(n.displayName + (idx !== undefined ? ` ${idx + 1}` : ''))}`);
      if (n.unit) lines.push(`    unit: ${yamlString(n.unit)}`);
      lines.push(`    nodeId: ${yamlString(n.nodeId)}`);
      if (idx !== undefined) lines.push(`    arrayIndex: ${idx}`);
      if (n.euRange) lines.push(`    range: { low: ${n.euRange.low}, high: ${n.euRange.high} }`);
    }
  }
  return lines.join('\n');
}
