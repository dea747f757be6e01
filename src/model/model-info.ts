/** What `jemda model-info` reports about an ONNX model. */
import { findLogits, type LogitsChoice } from './logits.ts';
import { FRONTEND_KEY, LABELS_KEY } from './frontend.ts';
import { getMetadata, opsetVersion, toNum, type ModelProto, type ValueInfoProto } from './onnx-io.ts';
import { listUnsupportedOps, type NodeRef } from './importer.ts';
import { JemdaError } from '../util/errors.ts';

export interface TensorInfo {
  name: string;
  elemType: number;
  /** numbers for fixed axes, names (dim_param) or '?' for dynamic ones */
  dims: (number | string)[];
}

export interface ModelInfo {
  opset: number;
  producer: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  ops: Record<string, number>;
  nodes: number;
  parameters: number;
  initializers: number;
  metadata: Record<string, string>;
  frontEnd: unknown;
  labels: string[] | null;
  logits: LogitsChoice | { error: string };
  unsupported: NodeRef[];
}

function tensorInfo(v: ValueInfoProto): TensorInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: tt?.elemType ?? 0,
    dims: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : '?')),
  };
}

export function modelInfo(m: ModelProto, logitsOverride?: string): ModelInfo {
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const ops: Record<string, number> = {};
  for (const n of g.node ?? []) {
    const k = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '');
    ops[k] = (ops[k] ?? 0) + 1;
  }
  let parameters = 0;
  for (const t of g.initializer ?? []) parameters += (t.dims ?? []).map(toNum).reduce((a, b) => a * b, 1);
  const metadata = getMetadata(m);
  const parseJson = (k: string): unknown => {
    if (metadata[k] === undefined) return null;
    try {
      return JSON.parse(metadata[k]!);
    } catch (e) {
      return { error: `invalid JSON in ${k}: ${(e as Error).message}` };
    }
  };
  let logits: ModelInfo['logits'];
  try {
    logits = findLogits(m, logitsOverride);
  } catch (e) {
    if (!(e instanceof JemdaError)) throw e;
    logits = { error: e.message };
  }
  const labels = parseJson(LABELS_KEY);
  return {
    opset: opsetVersion(m),
    producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(),
    inputs: (g.input ?? []).filter((i) => !inits.has(i.name)).map(tensorInfo),
    outputs: (g.output ?? []).map(tensorInfo),
    ops: Object.fromEntries(Object.entries(ops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    nodes: (g.node ?? []).length,
    parameters,
    initializers: (g.initializer ?? []).length,
    metadata,
    frontEnd: parseJson(FRONTEND_KEY),
    labels: Array.isArray(labels) ? (labels as string[]) : null,
    logits,
    unsupported: listUnsupportedOps(m),
  };
}

export function formatModelInfo(file: string, i: ModelInfo): string {
  const L: string[] = [];
  const dims = (t: TensorInfo) => `${t.name} [${t.dims.join(', ')}]`;
  L.push(`model: ${file}`);
  L.push(`opset: ${i.opset}   producer: ${i.producer || '-'}`);
  L.push(`inputs: ${i.inputs.map(dims).join(', ')}`);
  L.push(`outputs: ${i.outputs.map(dims).join(', ')}`);
  L.push(`nodes: ${i.nodes}   parameters: ${i.parameters} in ${i.initializers} initializers`);
  L.push(`ops: ${Object.entries(i.ops).map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  L.push('name' in i.logits ? `logits: ${i.logits.name} — ${i.logits.reason}` : `logits: ? (${(i.logits as { error: string }).error})`);
  L.push(`front end: ${i.frontEnd === null ? '(none: no jemda.frontend metadata)' : JSON.stringify(i.frontEnd)}`);
  L.push(`labels: ${i.labels ? `${i.labels.length}: ${i.labels.join(' ')}` : '(none)'}`);
  const other = Object.keys(i.metadata).filter((k) => k !== FRONTEND_KEY && k !== LABELS_KEY);
  if (other.length) L.push(`metadata: ${other.map((k) => `${k}=${i.metadata[k]}`).join('; ')}`);
  L.push(
    i.unsupported.length === 0
      ? 'unsupported ops: none (the tfjs importer can run every node)'
      : `unsupported ops: ${i.unsupported.map((u) => `${u.domain ? `${u.domain}.` : ''}${u.opType} (node #${u.index} '${u.name}')`).join(', ')}`,
  );
  return L.join('\n');
}
