/**
 * What `jemda model-info` says each op type of a model can do on jemda's two paths:
 * - onnxruntime: forward by a real session (an op it cannot run fails the session, naming the
 *   node); gradient by the VJP graph's rule table (gradgraph/rules): a rule, a non-differentiable
 *   op (comparisons, shapes: nothing flows through it), or no rule (the VJP graph cannot be built
 *   when the node lies between the input and the logits);
 * - tfjs: forward by the importer's op table; gradient by tfjs autodiff of that forward, so every
 *   imported op that is differentiable at all has one.
 * And the front end a model declares, in words (describeFrontEnd).
 */
import * as ort from 'onnxruntime-node';
import { OPS } from './ops/index.ts';
import { RULES } from './gradgraph/rules/index.ts';
import { NONDIFF_RULES } from './gradgraph/rules/nondiff.ts';
import { encodeModel, type ModelProto } from './onnx-io.ts';
import type { FrontEnd } from './frontend.ts';

export type GradSupport = 'yes' | 'not differentiable' | 'no';

export interface OpSupport {
  opType: string;
  count: number;
  /** The nodes of this type (names, or #index for unnamed ones). */
  nodes: string[];
  ortForward: boolean;
  ortGradient: GradSupport;
  tfjsForward: boolean;
  tfjsGradient: GradSupport;
}

export interface SupportReport {
  ops: OpSupport[];
  /** onnxruntime's error when it cannot create a session for the model (null: it can). */
  ortError: string | null;
  /** Every node some path cannot run or differentiate: "name (OpType): what". */
  unsupportedNodes: string[];
}

const nonDiff = new Set(Object.keys(NONDIFF_RULES));

/** The per-op support of a model; `ortError` is what onnxruntime said when asked for a session (see ortSessionError). */
export function opSupport(model: ModelProto, ortError: string | null): SupportReport {
  const byType = new Map<string, string[]>();
  (model.graph?.node ?? []).forEach((n, i) => {
    const key = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : (n.opType ?? '');
    const list = byType.get(key) ?? [];
    list.push(n.name ? n.name : `#${i}`);
    byType.set(key, list);
  });
  const ops: OpSupport[] = [];
  const unsupportedNodes: string[] = [];
  for (const [opType, nodes] of [...byType].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))) {
    const standard = !opType.includes('.');
    // onnxruntime names the node (or the op and its opset) it has no kernel for
    const named = (n: string) => ortError!.includes(`'${n}'`) || ortError!.includes(`"${n}"`);
    const ortForward = ortError === null || (!nodes.some(named) && !ortError.includes(`${opType}(`));
    const ortGradient: GradSupport = standard && nonDiff.has(opType) ? 'not differentiable' : standard && RULES[opType] ? 'yes' : 'no';
    const tfjsForward = standard && OPS[opType] !== undefined;
    const tfjsGradient: GradSupport = !tfjsForward ? 'no' : nonDiff.has(opType) ? 'not differentiable' : 'yes';
    ops.push({ opType, count: nodes.length, nodes, ortForward, ortGradient, tfjsForward, tfjsGradient });
    const what = [
      !ortForward && 'onnxruntime cannot run it',
      ortGradient === 'no' && 'no gradient rule for the onnxruntime VJP graph',
      !tfjsForward && 'the tfjs importer cannot run it',
    ].filter(Boolean);
    if (what.length > 0) for (const n of nodes) unsupportedNodes.push(`${n} (${opType}): ${what.join('; ')}`);
  }
  return { ops, ortError, unsupportedNodes };
}

/** onnxruntime's error when it cannot load the model, null when it can. */
export async function ortSessionError(model: ModelProto): Promise<string | null> {
  try {
    const s = await ort.InferenceSession.create(encodeModel(model), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 });
    await s.release();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The front end a model needs, in words (null: it declares none). */
export function describeFrontEnd(fe: FrontEnd | null): string {
  if (!fe) return "none declared (no jemda.frontend metadata): give --frontend-config FILE to adapt, eval and sample";
  const frames = fe.numFrames ?? 'any number of';
  switch (fe.featureType) {
    case 'raw':
      return `raw waveform: ${frames} samples at ${fe.sampleRate} Hz (${fe.scale ?? 'unit'} scale, padMode ${fe.padMode}), layout ${fe.layout}; data dirs need wav.scp`;
    case 'precomputed':
      return `precomputed features: ${fe.featDim}-dim, ${frames} frames (padMode ${fe.padMode}), CMVN ${fe.cmvn}, layout ${fe.layout}; data dirs need feats.scp${fe.cmvn === 'scp' ? ' and cmvn.scp' : ''}`;
    default:
      return `${fe.featureType} ${fe.featDim}-dim, ${frames} frames (padMode ${fe.padMode}), CMVN ${fe.cmvn}, layout ${fe.layout}, ${fe.sampleRate} Hz; computed by jemda from wav.scp (or read from a feats.scp of the same front end)`;
  }
}
