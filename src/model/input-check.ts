/**
 * Model vs front end, checked before any compute: the front end's feature options must give its
 * featDim, global CMVN statistics must have featDim entries, and the example shape it produces
 * (layout, featDim, numFrames) must fit the model's graph input (fixed axes equal, same rank;
 * symbolic or unknown axes are free).
 */
import type { ModelProto } from './onnx-io.ts';
import { toNum } from './onnx-io.ts';
import type { FrontEnd } from './frontend.ts';
import { featureDim } from '../features/extract.ts';
import { MismatchError } from '../util/errors.ts';

/** Example shape without the batch axis; null = any length. */
export function frontEndExampleShape(fe: FrontEnd): (number | null)[] {
  const T = fe.numFrames ?? null;
  const F = fe.featDim;
  switch (fe.layout) {
    case 'B1TF':
      return [1, T, F];
    case 'BFT':
      return [F, T];
    case 'BTF':
      return [T, F];
    case 'BT':
      return [T];
    case 'B1T':
      return [1, T];
    default:
      throw new MismatchError(`front end: unknown layout '${String(fe.layout)}'`);
  }
}

/** The first graph input that is not an initializer: its name and dims (null = symbolic/unknown); null when the graph declares no shape. */
export function graphInputShape(model: ModelProto): { name: string; dims: (number | null)[] } | null {
  const g = model.graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ''));
  const input = (g?.input ?? []).find((i) => !inits.has(i.name ?? ''));
  const shape = input?.type?.tensorType?.shape;
  if (!input || !shape) return null;
  const dims = (shape.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : null));
  return { name: input.name ?? '', dims };
}

const fmt = (s: (number | null)[]) => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

export function checkFrontEndFitsModel(model: ModelProto, fe: FrontEnd, source: string): void {
  const dim = fe.featureType === 'raw' ? 1 : fe.featureType === 'precomputed' ? fe.featDim : featureDim(fe.featureType, { ...fe.options });
  if (dim !== fe.featDim) {
    throw new MismatchError(`${source}: front end says featDim ${fe.featDim}, but its ${fe.featureType} options give ${dim}-dim features`);
  }
  if (fe.cmvn === 'global') {
    if (!fe.cmvnMean || fe.cmvnMean.length !== fe.featDim) throw new MismatchError(`${source}: global CMVN needs cmvnMean of length ${fe.featDim} (got ${fe.cmvnMean?.length ?? 'none'})`);
    if (fe.cmvnNormVars && (!fe.cmvnStd || fe.cmvnStd.length !== fe.featDim)) throw new MismatchError(`${source}: global CMVN with variance needs cmvnStd of length ${fe.featDim} (got ${fe.cmvnStd?.length ?? 'none'})`);
  }
  const gi = graphInputShape(model);
  if (!gi) return;
  const want = [null, ...frontEndExampleShape(fe)];
  const what =
    fe.featureType === 'raw'
      ? `the raw front end (layout ${fe.layout}, ${fe.numFrames ?? 'any number of'} samples at ${fe.sampleRate} Hz) gives ${fmt(want)}`
      : `the front end (layout ${fe.layout}, featDim ${fe.featDim}, numFrames ${fe.numFrames ?? 'any'}) gives ${fmt(want)}`;
  if (gi.dims.length !== want.length) throw new MismatchError(`${source}: model input '${gi.name}' has shape ${fmt(gi.dims)}, but ${what}`);
  for (let i = 1; i < want.length; i++) {
    const m = gi.dims[i];
    if (m !== null && m !== want[i]) throw new MismatchError(`${source}: model input '${gi.name}' has shape ${fmt(gi.dims)}, but ${what}`);
  }
}
