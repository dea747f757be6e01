/**
 * ONNX protobuf io through onnx-proto. Notes: int64 fields arrive as Long (use toNum); `rawData`
 * is an unaligned view into the file buffer, so it is copied before a typed array is made.
 */
import * as fs from 'node:fs';
import onnxProto from 'onnx-proto';
import { OnnxError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

export const DataType = onnxProto.onnx.TensorProto.DataType;

/** Long | number → number (throws past 2^53). */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  if (typeof v === 'bigint') return Number(v);
  throw new OnnxError(`expected an integer, got ${String(v)}`);
}

export function decodeModel(bytes: Uint8Array, source = '<buffer>'): ModelProto {
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`${source}: not a valid ONNX model (${(e as Error).message})`, undefined, { cause: e });
  }
  if (!m.graph || !m.graph.node || (m.graph.node.length === 0 && (m.graph.output ?? []).length === 0)) {
    throw new OnnxError(`${source}: not a valid ONNX model (no graph)`);
  }
  return m;
}

export function loadModel(file: string): ModelProto {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new OnnxError(`${file}: cannot read (${(e as Error).message})`, undefined, { cause: e });
  }
  return decodeModel(bytes, file);
}

export function encodeModel(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

export function saveModel(file: string, m: ModelProto): void {
  writeFileAtomic(file, encodeModel(m));
}

export function decodeTensor(bytes: Uint8Array, source = '<buffer>'): TensorProto {
  try {
    return onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new OnnxError(`${source}: not a valid TensorProto (${(e as Error).message})`, undefined, { cause: e });
  }
}

export interface NdArray {
  dims: number[];
  /** float32 for FLOAT, int32-valued Float64/Int32 arrays for integer types (see dtype). */
  data: Float32Array | Int32Array | Float64Array | BigInt64Array | Uint8Array;
  dtype: 'float32' | 'int32' | 'int64' | 'float64' | 'bool' | 'uint8' | 'int8';
}

function copyBytes(raw: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(raw.byteLength);
  new Uint8Array(buf).set(raw);
  return buf;
}

/** TensorProto → typed array; int64 values are returned as BigInt64Array. */
export function tensorToArray(t: TensorProto): NdArray {
  const dims = (t.dims ?? []).map(toNum);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  const name = t.name ?? '<unnamed>';
  const check = (len: number) => {
    if (len !== n) throw new OnnxError(`tensor '${name}': ${len} values for dims [${dims.join(', ')}]`);
  };
  switch (t.dataType) {
    case DataType.FLOAT: {
      const data = raw ? new Float32Array(copyBytes(raw)) : Float32Array.from(t.floatData ?? []);
      check(data.length);
      return { dims, data, dtype: 'float32' };
    }
    case DataType.DOUBLE: {
      const data = raw ? new Float64Array(copyBytes(raw)) : Float64Array.from(t.doubleData ?? []);
      check(data.length);
      return { dims, data, dtype: 'float64' };
    }
    case DataType.INT64: {
      const data = raw
        ? new BigInt64Array(copyBytes(raw))
        : BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNum(v))));
      check(data.length);
      return { dims, data, dtype: 'int64' };
    }
    case DataType.INT32:
    case DataType.INT16:
    case DataType.UINT16: {
      const data = raw
        ? t.dataType === DataType.INT32
          ? new Int32Array(copyBytes(raw))
          : Int32Array.from(t.dataType === DataType.INT16 ? new Int16Array(copyBytes(raw)) : new Uint16Array(copyBytes(raw)))
        : Int32Array.from(t.int32Data ?? []);
      check(data.length);
      return { dims, data, dtype: 'int32' };
    }
    case DataType.INT8: {
      const data = raw ? Int32Array.from(new Int8Array(copyBytes(raw))) : Int32Array.from(t.int32Data ?? []);
      check(data.length);
      return { dims, data, dtype: 'int8' };
    }
    case DataType.BOOL:
    case DataType.UINT8: {
      const data = raw ? new Uint8Array(copyBytes(raw)) : Uint8Array.from(t.int32Data ?? []);
      check(data.length);
      return { dims, data, dtype: t.dataType === DataType.BOOL ? 'bool' : 'uint8' };
    }
    default:
      throw new OnnxError(`tensor '${name}': data type ${t.dataType} is not supported`);
  }
}

/** Float32 data → TensorProto with raw_data. */
export function floatTensor(name: string, dims: number[], data: Float32Array | number[]): onnxProto.onnx.TensorProto {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)),
  });
}

/** Int64 data → TensorProto with raw_data. */
export function int64Tensor(name: string, dims: number[], data: number[] | BigInt64Array): onnxProto.onnx.TensorProto {
  const b = data instanceof BigInt64Array ? data : BigInt64Array.from(data.map((v) => BigInt(v)));
  return onnx.TensorProto.create({ name, dims, dataType: DataType.INT64, rawData: new Uint8Array(b.buffer.slice(0)) });
}

/** metadata_props as a plain object. */
export function getMetadata(m: ModelProto): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) if (p.key) out[p.key] = p.value ?? '';
  return out;
}

/** Set (add or replace) metadata_props entries, keeping all others. */
export function setMetadata(m: ModelProto, entries: Record<string, string>): void {
  const props = m.metadataProps ?? (m.metadataProps = []);
  for (const [key, value] of Object.entries(entries)) {
    const p = props.find((q) => q.key === key);
    if (p) p.value = value;
    else props.push(onnx.StringStringEntryProto.create({ key, value }));
  }
}

/** Opset version of the default domain. */
export function opsetVersion(m: ModelProto): number {
  const o = (m.opsetImport ?? []).find((x) => !x.domain || x.domain === 'ai.onnx');
  return o ? toNum(o.version) : 1;
}

/** Attribute lookup helpers. */
export function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}
export function attrInt(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a ? toNum(a.i ?? 0) : dflt;
}
export function attrInts(node: NodeProto, name: string, dflt: number[] | undefined): number[] | undefined {
  const a = attr(node, name);
  return a ? (a.ints ?? []).map(toNum) : dflt;
}
export function attrFloat(node: NodeProto, name: string, dflt: number): number {
  const a = attr(node, name);
  return a ? (a.f ?? 0) : dflt;
}
export function attrString(node: NodeProto, name: string, dflt: string): string {
  const a = attr(node, name);
  return a && a.s ? Buffer.from(a.s).toString('utf8') : dflt;
}
