/**
 * onnxruntime-node runner: one InferenceSession, feeds as plain {data, dims}, batched inference
 * over many examples (dynamic batch axis, or a fixed one with the last batch padded), and
 * `withExtraOutputs` to expose an intermediate tensor (e.g. the logits) as a graph output.
 * The CUDA execution provider is used when it can be created; otherwise the CPU one, with one
 * log line saying why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { onnx, decodeModel, encodeModel, toNum, type ModelProto } from './onnx-io.ts';
import { MismatchError, OnnxError } from '../util/errors.ts';
import { log } from '../util/log.ts';

export type Feed = { data: Float32Array | BigInt64Array | Int32Array; dims: number[] };

export interface OrtRunnerOptions {
  /** intraOpNumThreads (default: onnxruntime's choice). */
  threads?: number;
  /** Execution providers to try in order; default: ['cuda', 'cpu'] with a logged fallback to cpu. */
  executionProviders?: string[];
  /** Graph optimisation level (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Let the intra-op threads spin-wait between runs (default false; see create()). */
  spinning?: boolean;
  /** What the model is, for error messages (e.g. its file); default: the graph's name. */
  source?: string;
}

let cudaUnavailable: string | null = null;

/** Why the CUDA provider cannot be used (its shared library is not installed), or null. */
function cudaLibraryMissing(): string | null {
  try {
    const req = createRequire(import.meta.url);
    const pkg = path.dirname(req.resolve('onnxruntime-node/package.json'));
    const bin = path.join(pkg, 'bin');
    const found = fs
      .readdirSync(bin, { recursive: true })
      .some((f) => String(f).endsWith('libonnxruntime_providers_cuda.so'));
    return found ? null : 'onnxruntime-node has no libonnxruntime_providers_cuda.so';
  } catch (e) {
    return `cannot inspect onnxruntime-node (${(e as Error).message})`;
  }
}

function tensorOf(f: Feed): ort.Tensor {
  if (f.data instanceof Float32Array) return new ort.Tensor('float32', f.data, f.dims);
  if (f.data instanceof BigInt64Array) return new ort.Tensor('int64', f.data, f.dims);
  return new ort.Tensor('int32', f.data, f.dims);
}

/** Dims of a graph input: numbers for fixed dims, null for symbolic/unknown ones. */
export function inputDims(model: ModelProto, name?: string): { name: string; dims: (number | null)[] } {
  const g = model.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const ins = (g.input ?? []).filter((i) => !inits.has(i.name ?? ''));
  const vi = name ? ins.find((i) => i.name === name) : ins[0];
  if (!vi) throw new OnnxError(`graph has no input${name ? ` '${name}'` : ''}`);
  const dims = (vi.type?.tensorType?.shape?.dim ?? []).map((d) => {
    const v = d.dimValue != null ? toNum(d.dimValue) : 0;
    return d.dimParam || v <= 0 ? null : v;
  });
  return { name: vi.name!, dims };
}

/** A copy of `model` whose graph also outputs the named intermediate tensors (name + elem type only). */
export function withExtraOutputs(model: ModelProto, names: string[], elemType = onnx.TensorProto.DataType.FLOAT): ModelProto {
  const m = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const g = m.graph!;
  const have = new Set((g.output ?? []).map((o) => o.name));
  const produced = new Set<string>();
  for (const n of g.node ?? []) for (const o of n.output ?? []) produced.add(o);
  for (const i of g.input ?? []) produced.add(i.name ?? '');
  for (const name of names) {
    if (have.has(name)) continue;
    if (!produced.has(name)) throw new OnnxError(`no tensor named '${name}' in the graph`);
    g.output = [
      ...(g.output ?? []),
      onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType }) }) }),
    ];
    have.add(name);
  }
  return m;
}

/**
 * Replace weights fed as graph inputs: each name of `w` found in `tensors` gets a new float32
 * tensor of the same dims (names not there are ignored; sizes must match), and `onReplace` is
 * called after each replacement.
 */
export function replaceWeightTensors(tensors: Map<string, ort.Tensor>, w: Map<string, Float32Array>, onReplace?: () => void): void {
  for (const [n, data] of w) {
    const cur = tensors.get(n);
    if (!cur) continue;
    if (data.length !== cur.size) throw new MismatchError(`weight '${n}': ${data.length} values, expected ${cur.size}`);
    tensors.set(n, new ort.Tensor('float32', data, cur.dims as number[]));
    onReplace?.();
  }
}

export class OrtRunner {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly providers: string[],
    readonly model: ModelProto,
  ) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  static async create(model: Uint8Array | ModelProto, opts: OrtRunnerOptions = {}): Promise<OrtRunner> {
    const proto = model instanceof Uint8Array ? decodeModel(model) : model;
    const bytes = model instanceof Uint8Array ? model : encodeModel(model);
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
      // No spin-waiting in the thread pools: adaptation keeps several sessions (∂E/∂x, VJP, forward
      // graphs), each with its own pool, and a pool spinning after its run takes the cores from the
      // session that runs next (and from the recipe's other --nj jobs). Measured on the recipe's
      // jem update, 2 threads, 2 cores: 0.72 s → 0.61 s per update.
      ...(opts.spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
    };
    if (!opts.executionProviders && cudaUnavailable === null) {
      const missing = cudaLibraryMissing();
      if (missing) {
        cudaUnavailable = missing;
        log(`onnxruntime: CUDA execution provider unavailable (${missing}); using cpu`);
      }
    }
    const what = opts.source ?? `graph '${proto.graph?.name ?? ''}'`;
    let eps = opts.executionProviders ?? ['cuda', 'cpu'];
    if (!opts.executionProviders && cudaUnavailable !== null) eps = ['cpu'];
    try {
      const s = await ort.InferenceSession.create(bytes, { ...base, executionProviders: eps });
      return new OrtRunner(s, eps, proto);
    } catch (e) {
      if (!eps.includes('cuda') || opts.executionProviders) {
        throw new OnnxError(`onnxruntime could not load ${what}: ${(e as Error).message}`, undefined, { cause: e });
      }
      const reason = (e as Error).message.split('\n')[0];
      if (cudaUnavailable === null) log(`onnxruntime: CUDA execution provider unavailable (${reason}); using cpu`);
      cudaUnavailable = reason;
      try {
        const s = await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
        return new OrtRunner(s, ['cpu'], proto);
      } catch (e2) {
        throw new OnnxError(`onnxruntime could not load ${what}: ${(e2 as Error).message}`, undefined, { cause: e2 });
      }
    }
  }

  /** Run with the given feeds; returns the requested outputs (default: all graph outputs). */
  async run(feeds: Record<string, Feed>, outputs?: string[]): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = tensorOf(v);
    let res: ort.InferenceSession.ReturnType;
    try {
      res = outputs ? await this.session.run(f, outputs) : await this.session.run(f);
    } catch (e) {
      throw new OnnxError(`onnxruntime run failed: ${(e as Error).message}`, undefined, { cause: e });
    }
    const out: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const [k, t] of Object.entries(res)) {
      out[k] = { data: t.data as Float32Array, dims: t.dims.map(Number) };
      t.dispose?.();
    }
    return out;
  }

  /**
   * Batched inference: each example has `exampleShape` (no batch axis); returns one output row per
   * example (the output's per-example slice). A fixed batch dim in the model forces that batch size
   * (the last batch is zero-padded).
   */
  async runBatched(
    inputName: string,
    examples: Float32Array[] | ((i: number) => Float32Array),
    exampleShape: number[],
    batchSize: number,
    outputName: string,
    count?: number,
  ): Promise<Float32Array[]> {
    const n = Array.isArray(examples) ? examples.length : count;
    if (n === undefined) throw new OnnxError('runBatched: count is required when examples is a function');
    const get = Array.isArray(examples) ? (i: number) => examples[i] : examples;
    const per = exampleShape.reduce((a, b) => a * b, 1);
    const fixed = inputDims(this.model, inputName).dims[0];
    const bs = fixed ?? Math.max(1, batchSize);
    const out: Float32Array[] = [];
    for (let start = 0; start < n; start += bs) {
      const real = Math.min(bs, n - start);
      const rows = fixed ?? real;
      const buf = new Float32Array(rows * per);
      for (let i = 0; i < real; i++) {
        const e = get(start + i);
        if (e.length !== per) {
          throw new OnnxError(`runBatched: example ${start + i} has ${e.length} values, expected ${per} ([${exampleShape.join(', ')}])`);
        }
        buf.set(e, i * per);
      }
      const r = (await this.run({ [inputName]: { data: buf, dims: [rows, ...exampleShape] } }, [outputName]))[outputName];
      const outPer = r.data.length / rows;
      for (let i = 0; i < real; i++) out.push(r.data.slice(i * outPer, (i + 1) * outPer));
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
