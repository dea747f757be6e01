/**
 * Writes updated weights back into a copy of the original graph: initializers (including
 * BatchNorm running statistics) get the new values, everything else is kept byte for byte;
 * metadata_props are kept and extended.
 */
import { MismatchError } from '../util/errors.ts';
import { DataType, decodeModel, encodeModel, floatTensor, setMetadata, toNum, type ModelProto } from './onnx-io.ts';

export function exportModel(original: ModelProto, weights: Map<string, Float32Array>, extraMetadata: Record<string, string> = {}): ModelProto {
  const copy = decodeModel(encodeModel(original), '<copy>');
  const inits = copy.graph!.initializer ?? [];
  const byName = new Map(inits.map((t, i) => [t.name ?? '', i]));
  for (const [name, data] of weights) {
    const i = byName.get(name);
    if (i === undefined) throw new MismatchError(`export: the model has no initializer '${name}'`);
    const old = inits[i]!;
    if (old.dataType !== DataType.FLOAT) throw new MismatchError(`export: initializer '${name}' is not float32`);
    const dims = (old.dims ?? []).map(toNum);
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new MismatchError(`export: '${name}' has ${data.length} values, the model expects ${n}`);
    const t = floatTensor(name, dims, data);
    if (old.docString) t.docString = old.docString;
    inits[i] = t;
  }
  setMetadata(copy, extraMetadata);
  return copy;
}
