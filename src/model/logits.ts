/**
 * Which tensor holds the logits. The energy needs pre-softmax scores: when the graph output is made
 * by a Softmax/LogSoftmax (possibly through Identity nodes), its input is used; `override` (the
 * `--logits NAME` option) wins.
 */
import { ConfigError, OnnxError } from '../util/errors.ts';
import type { ModelProto, NodeProto } from './onnx-io.ts';

export interface LogitsChoice {
  name: string;
  reason: string;
}

export function findLogits(model: ModelProto, override?: string): LogitsChoice {
  const g = model.graph!;
  const producer = new Map<string, { node: NodeProto; index: number }>();
  (g.node ?? []).forEach((node, index) => {
    for (const o of node.output ?? []) if (o) producer.set(o, { node, index });
  });
  if (override) {
    const known = producer.has(override) || (g.input ?? []).some((i) => i.name === override);
    if (!known) throw new ConfigError(`--logits ${override}: no tensor of that name in the graph`);
    return { name: override, reason: `given by --logits` };
  }
  const out = (g.output ?? [])[0]?.name;
  if (!out) throw new OnnxError('the graph has no outputs');
  let name = out;
  const via: string[] = [];
  for (;;) {
    const p = producer.get(name);
    if (!p) break;
    const t = p.node.opType;
    const label = `${t} node '${p.node.name || `#${p.index}`}'`;
    if (t === 'Identity') {
      via.push(label);
      name = p.node.input![0];
      continue;
    }
    if (t === 'Softmax' || t === 'LogSoftmax') {
      return {
        name: p.node.input![0],
        reason: `input of terminal ${label} (graph output '${out}'${via.length ? ` via ${via.join(', ')}` : ''})`,
      };
    }
    break;
  }
  return { name: out, reason: `graph output '${out}' (not produced by Softmax/LogSoftmax)` };
}
