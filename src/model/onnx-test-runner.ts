/**
 * Runs ONNX backend-test directories (model.onnx + test_data_set_N/input_K.pb, output_K.pb) on the
 * onnxruntime-node executor and the tfjs importer, and compares with the expected outputs using
 * numpy.allclose semantics (|got − want| <= atol + rtol·|want|, NaN matches NaN).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { JemdaError, OnnxError } from '../util/errors.ts';
import { decodeModel, decodeTensor, tensorToArray, type ModelProto, type NdArray } from './onnx-io.ts';
import { importModel } from './importer.ts';
import { cval, type Value } from './ops/value.ts';

export type Executor = 'ort' | 'tfjs';

export interface TestCase {
  dir: string;
  name: string;
  sets: { name: string; inputs: NdArray[]; outputs: NdArray[] }[];
}

export interface OutputResult {
  output: string;
  maxAbs: number;
  maxRel: number;
  pass: boolean;
  detail?: string;
}

export interface SetResult {
  test: string;
  set: string;
  executor: Executor;
  pass: boolean;
  error?: string;
  outputs: OutputResult[];
}

/** Directories holding model.onnx; a directory without one is expanded to its children that have one. */
export function expandTestDirs(dirs: string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    if (fs.existsSync(path.join(d, 'model.onnx'))) {
      out.push(d);
      continue;
    }
    if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) throw new JemdaError('E_DATA', `${d}: not a directory`);
    const kids = fs
      .readdirSync(d)
      .filter((k) => fs.existsSync(path.join(d, k, 'model.onnx')))
      .sort()
      .map((k) => path.join(d, k));
    if (kids.length === 0) throw new JemdaError('E_DATA', `${d}: no model.onnx in it or in its subdirectories`);
    out.push(...kids);
  }
  return out;
}

function numbered(dir: string, prefix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => path.join(dir, f));
}

export function loadTestCase(dir: string): TestCase {
  const sets = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('test_data_set_'))
    .sort()
    .map((s) => {
      const sd = path.join(dir, s);
      const read = (f: string) => tensorToArray(decodeTensor(fs.readFileSync(f), f));
      return { name: s, inputs: numbered(sd, 'input_').map(read), outputs: numbered(sd, 'output_').map(read) };
    });
  return { dir, name: path.basename(dir), sets };
}

function graphInputNames(m: ModelProto): string[] {
  const inits = new Set((m.graph!.initializer ?? []).map((t) => t.name));
  return (m.graph!.input ?? []).map((i) => i.name ?? '').filter((n) => !inits.has(n));
}

function toOrt(a: NdArray): ort.Tensor {
  switch (a.dtype) {
    case 'float32':
      return new ort.Tensor('float32', a.data as Float32Array, a.dims);
    case 'float64':
      return new ort.Tensor('float64', a.data as Float64Array, a.dims);
    case 'int64':
      return new ort.Tensor('int64', a.data as BigInt64Array, a.dims);
    case 'int32':
      return new ort.Tensor('int32', a.data as Int32Array, a.dims);
    case 'bool':
      return new ort.Tensor('bool', a.data as Uint8Array, a.dims);
    case 'uint8':
      return new ort.Tensor('uint8', a.data as Uint8Array, a.dims);
    case 'int8':
      return new ort.Tensor('int8', Int8Array.from(a.data as Int32Array), a.dims);
  }
}

function numbers(data: ArrayLike<number | bigint | boolean>): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

export function compare(name: string, got: { dims: number[]; data: Float64Array }, want: NdArray, rtol: number, atol: number): OutputResult {
  const w = numbers(want.data as ArrayLike<number | bigint>);
  const sameShape = got.dims.length === want.dims.length && got.dims.every((d, i) => d === want.dims[i]);
  if (!sameShape || got.data.length !== w.length) {
    return { output: name, maxAbs: Infinity, maxRel: Infinity, pass: false, detail: `shape [${got.dims.join(', ')}] != expected [${want.dims.join(', ')}]` };
  }
  let maxAbs = 0;
  let maxRel = 0;
  let pass = true;
  for (let i = 0; i < w.length; i++) {
    const a = got.data[i];
    const b = w[i];
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue; // also ±Infinity
    const d = Math.abs(a - b);
    if (!(d <= atol + rtol * Math.abs(b))) pass = false;
    if (!(d <= maxAbs)) maxAbs = d;
    const r = d / Math.max(Math.abs(b), 1e-30);
    if (!(r <= maxRel)) maxRel = r;
  }
  return { output: name, maxAbs, maxRel, pass };
}

async function runOrt(bytes: Uint8Array, m: ModelProto, inputs: NdArray[]): Promise<{ dims: number[]; data: Float64Array }[]> {
  const sess = await ort.InferenceSession.create(bytes);
  try {
    const names = graphInputNames(m);
    const feeds: Record<string, ort.Tensor> = {};
    inputs.forEach((a, i) => (feeds[names[i]!] = toOrt(a)));
    const res = await sess.run(feeds);
    return (m.graph!.output ?? []).map((o) => {
      const t = res[o.name ?? '']!;
      return { dims: t.dims.slice(), data: numbers(t.data as ArrayLike<number | bigint>) };
    });
  } finally {
    await sess.release();
  }
}

function runTfjs(m: ModelProto, inputs: NdArray[]): { dims: number[]; data: Float64Array }[] {
  const model = importModel(m, { trainable: 'none' });
  try {
    const names = graphInputNames(m);
    const feeds = new Map<string, Value>();
    const made: tf.Tensor[] = [];
    inputs.forEach((a, i) => {
      if (a.dtype === 'float32' || a.dtype === 'float64') {
        const t = tf.tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as Float64Array), a.dims, 'float32');
        made.push(t);
        feeds.set(names[i]!, t);
      } else {
        const dt = a.dtype === 'int64' ? 'int64' : a.dtype === 'bool' ? 'bool' : 'int32';
        feeds.set(names[i]!, cval(Array.from(a.data as ArrayLike<number | bigint>, Number), a.dims, dt));
      }
    });
    const outNames = (m.graph!.output ?? []).map((o) => o.name ?? '');
    const outs = model.runFeeds(feeds, outNames);
    const res = outs.map((t) => ({ dims: t.shape.slice(), data: numbers(t.dataSync() as ArrayLike<number>) }));
    for (const t of [...outs, ...made]) t.dispose();
    return res;
  } finally {
    model.dispose();
  }
}

/** Runs one test directory on the given executors. */
export async function runTestCase(dir: string, executors: Executor[], rtol: number, atol: number): Promise<SetResult[]> {
  const bytes = fs.readFileSync(path.join(dir, 'model.onnx'));
  const m = decodeModel(bytes, path.join(dir, 'model.onnx'));
  let tc: TestCase;
  try {
    tc = loadTestCase(dir);
  } catch (e) {
    if (!(e instanceof JemdaError)) throw e;
    return executors.map((ex) => ({ test: path.basename(dir), set: '-', executor: ex, pass: false, error: `test data: ${e.message}`, outputs: [] }));
  }
  const outNames = (m.graph!.output ?? []).map((o) => o.name ?? '');
  const results: SetResult[] = [];
  for (const set of tc.sets) {
    for (const ex of executors) {
      try {
        const got = ex === 'ort' ? await runOrt(bytes, m, set.inputs) : runTfjs(m, set.inputs);
        const outputs = set.outputs.map((want, k) => compare(outNames[k] ?? `output_${k}`, got[k]!, want, rtol, atol));
        results.push({ test: tc.name, set: set.name, executor: ex, pass: outputs.every((o) => o.pass), outputs });
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        const msg = e instanceof OnnxError || e instanceof JemdaError ? e.message : `${e.name}: ${e.message}`;
        results.push({ test: tc.name, set: set.name, executor: ex, pass: false, error: msg, outputs: [] });
      }
    }
  }
  return results;
}

/** The op type of a single-node test model (ONNX node tests), else undefined. */
export function singleNodeOp(dir: string): string | undefined {
  const m = decodeModel(fs.readFileSync(path.join(dir, 'model.onnx')), dir);
  const nodes = m.graph!.node ?? [];
  const types = new Set(nodes.map((n) => n.opType ?? ''));
  return types.size === 1 ? [...types][0] : undefined;
}
