/**
 * Parameter (and input) gradients on onnxruntime: the VJP graph of vjp-graph.ts in one session per
 * BatchNorm mode (built on first use), a forward-only session per mode, and the current weights
 * fed as inputs on every call, so setWeights is visible immediately. Any loss: forward → ∂L/∂logits
 * in JS → vjp (lossAndGrad does both). The whole batch runs in one call (batch statistics in
 * 'train' mode are over the batch given).
 */
import * as ort from 'onnxruntime-node';
import { onnx, tensorToArray, type ModelProto } from './onnx-io.ts';
import { buildVjpGraph, type VjpGraph, type VjpGraphOptions } from './vjp-graph.ts';
import { OrtRunner, replaceWeightTensors } from './ort-runner.ts';
import { MismatchError, OnnxError } from '../util/errors.ts';
import { logSumExp } from '../util/logsumexp.ts';
import type { BnBatchStats, BnMode, CallOptions, LossFn, VjpResult } from './types.ts';

export interface VjpOrtOptions extends Omit<VjpGraphOptions, 'bnMode'> {
  /** Default BatchNorm mode of forward/vjp (default 'train'). */
  bnMode?: BnMode;
  threads?: number;
  executionProviders?: string[];
  /** Per-example shape; needed when the model input has more than one dynamic non-batch axis (a call may override it; one dynamic axis is inferred from x.length). */
  exampleShape?: number[];
}

export type { BnBatchStats, CallOptions, LossFn, VjpResult };




interface Mode {
  graph: VjpGraph;
  vjp: OrtRunner;
  fwd: OrtRunner;
  /** The 'softmax'-head graph (built on first use). */
  soft?: Promise<{ graph: VjpGraph; vjp: OrtRunner }>;
  /** The options its graphs are built with (the trainable set included). */
  opts: VjpOrtOptions;
}

export class VjpOrt {
  /** The engine name (src/engine/engine.ts: VjpOrt is the onnxruntime GradEngine). */
  readonly name = 'ort' as const;
  readonly numClasses: number;
  private weightTensors = new Map<string, ort.Tensor>();
  private modes = new Map<string, Promise<Mode>>();

  private constructor(
    private readonly model: ModelProto,
    private readonly opts: VjpOrtOptions,
    first: Mode,
  ) {
    this.modes.set(first.graph.bnMode, Promise.resolve(first));
    this.numClasses = first.graph.numClasses;
    // Every float initializer (BN running statistics too, which a 'train' graph does not read).
    for (const t of model.graph!.initializer ?? []) {
      if (t.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
      const a = tensorToArray(t);
      this.weightTensors.set(t.name!, new ort.Tensor('float32', Float32Array.from(a.data as Float32Array), a.dims));
    }
  }

  static async create(model: ModelProto, opts: VjpOrtOptions): Promise<VjpOrt> {
    const first = await VjpOrt.buildMode(model, opts, opts.bnMode ?? 'train');
    return new VjpOrt(model, opts, first);
  }

  private static async buildMode(model: ModelProto, opts: VjpOrtOptions, bnMode: BnMode): Promise<Mode> {
    const graph = await buildVjpGraph(model, { ...opts, bnMode });
    const ro = { threads: opts.threads, executionProviders: opts.executionProviders };
    const [vjp, fwd] = await Promise.all([OrtRunner.create(graph.model, ro), OrtRunner.create(graph.forwardModel, ro)]);
    return { graph, vjp, fwd, opts };
  }

  /**
   * The graphs of a BatchNorm mode, for the engine's trainable set or (gradFor) a subset of it:
   * a subset gets graphs of its own, built on first use and kept.
   */
  private mode(m: BnMode | undefined, gradFor?: ReadonlySet<string>): Promise<Mode> {
    const bn = m ?? this.opts.bnMode ?? 'train';
    if (!gradFor) return this.baseMode(bn);
    return (async () => {
      const all = (await this.baseMode(bn)).graph.gradOutputs;
      const names = [...gradFor].filter((n) => all.has(n)).sort();
      if (names.length === all.size) return this.baseMode(bn);
      const k = `${bn}|${names.join(',')}`;
      let p = this.modes.get(k);
      if (!p) {
        p = VjpOrt.buildMode(this.model, { ...this.opts, trainable: names }, bn);
        this.modes.set(k, p);
      }
      return p;
    })();
  }

  private baseMode(bn: BnMode): Promise<Mode> {
    let p = this.modes.get(bn);
    if (!p) {
      p = VjpOrt.buildMode(this.model, this.opts, bn);
      this.modes.set(bn, p);
    }
    return p;
  }

  /** The graph of the default mode (trainable names, gradient output names, BN stats). */
  async graph(bnMode?: BnMode): Promise<VjpGraph> {
    return (await this.mode(bnMode)).graph;
  }

  /** Trainable initializers (those with a gradient output). */
  async trainableNames(): Promise<string[]> {
    return [...(await this.graph()).gradOutputs.keys()];
  }

  setWeights(w: Map<string, Float32Array>): void {
    // A weight baked into the graphs (opts.constants) must keep the model's value.
    for (const n of this.opts.constants ?? []) {
      const a = w.get(n);
      const cur = this.weightTensors.get(n)?.data as Float32Array | undefined;
      if (!a || !cur || a === cur) continue;
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== cur[i] && !(Number.isNaN(a[i]) && Number.isNaN(cur[i]))) throw new MismatchError(`weight '${n}' is a constant of this engine's graphs (it is not trained) but was given a new value`);
      }
    }
    replaceWeightTensors(this.weightTensors, w);
  }

  /** Current weights and BatchNorm running statistics (the arrays fed to onnxruntime; copy before mutating). */
  /** Shape of every weight tensor, by initializer name. */
  getShapes(): Map<string, number[]> {
    return new Map([...this.weightTensors].map(([n, t]) => [n, [...t.dims]]));
  }

  getWeights(): Map<string, Float32Array> {
    return new Map([...this.weightTensors].map(([n, t]) => [n, t.data as Float32Array]));
  }

  private feeds(m: Mode, runner: OrtRunner, x: Float32Array, batch: number, opts?: CallOptions): Record<string, ort.Tensor> {
    const g = m.graph;
    const given = g.exampleDims.map((d, i) => opts?.exampleShape?.[i] ?? this.opts.exampleShape?.[i] ?? d);
    const free = given.map((v, i) => (v === null || v === undefined ? i : -1)).filter((i) => i >= 0);
    if (free.length === 1) {
      // One dynamic axis: its length follows from x.length.
      const rest = given.reduce<number>((a, v) => a * (v ?? 1), 1);
      given[free[0]] = x.length / Math.max(1, batch * rest);
      if (!Number.isInteger(given[free[0]])) throw new MismatchError(`${x.length} values do not fill batch ${batch} × [${given.map((v) => v ?? '?').join(', ')}]`);
    } else if (free.length > 1) {
      throw new MismatchError(`input axes ${free.map((i) => i + 1).join(', ')} of '${g.inputName}' are dynamic: give exampleShape`);
    }
    const ex = given as number[];
    const per = ex.reduce((a, b) => a * b, 1);
    const fixed = runner.model.graph!.input!.find((i) => i.name === g.inputName)?.type?.tensorType?.shape?.dim?.[0];
    const fixedN = fixed && !fixed.dimParam && Number(fixed.dimValue ?? 0) > 0 ? Number(fixed.dimValue) : null;
    if (fixedN !== null && fixedN !== batch) throw new MismatchError(`the model's batch axis is fixed to ${fixedN}; got a batch of ${batch} (batch statistics and gradients need the whole batch in one run)`);
    if (x.length !== batch * per) throw new MismatchError(`${x.length} values for batch ${batch} × [${ex.join(', ')}]`);
    const f: Record<string, ort.Tensor> = {};
    for (const name of runner.inputNames) {
      const t = this.weightTensors.get(name);
      if (t) f[name] = t;
    }
    f[g.inputName] = new ort.Tensor('float32', x, [batch, ...ex]);
    return f;
  }

  private static async run(runner: OrtRunner, feeds: Record<string, ort.Tensor>, outs: string[], what: string): Promise<Record<string, Float32Array>> {
    let r: ort.InferenceSession.ReturnType;
    try {
      r = await runner.session.run(feeds, outs);
    } catch (e) {
      throw new OnnxError(`${what} run failed: ${(e as Error).message}`, undefined, { cause: e });
    }
    const out: Record<string, Float32Array> = {};
    for (const [k, t] of Object.entries(r)) {
      out[k] = t.data as Float32Array;
      t.dispose?.();
    }
    return out;
  }

  private stats(g: VjpGraph, r: Record<string, Float32Array>): Map<string, BnBatchStats> | undefined {
    if (g.bnStats.length === 0) return undefined;
    return new Map(
      g.bnStats.map((b) => [b.node, { mean: r[b.meanOutput], varUnbiased: r[b.varOutput], momentum: b.momentum, meanName: b.meanName, varName: b.varName }]),
    );
  }

  /** Logits [batch, K] (bnMode 'train': batch statistics; see forwardWithStats for them). */
  async forward(x: Float32Array, batch: number, opts?: CallOptions): Promise<Float32Array> {
    return (await this.forwardWithStats(x, batch, opts)).logits;
  }

  async forwardWithStats(x: Float32Array, batch: number, opts?: CallOptions): Promise<{ logits: Float32Array; bnStats?: Map<string, BnBatchStats> }> {
    const m = await this.mode(opts?.bnMode);
    const g = m.graph;
    const r = await VjpOrt.run(m.fwd, this.feeds(m, m.fwd, x, batch, opts), [g.logitsOutput, ...g.bnStats.flatMap((b) => [b.meanOutput, b.varOutput])], 'forward');
    return { logits: r[g.logitsOutput], bnStats: this.stats(g, r) };
  }

  /** Logits and the vector–Jacobian product of gLogits (= ∂L/∂logits, [batch, K]) with respect to the trainable weights (and x). */
  async vjp(x: Float32Array, batch: number, gLogits: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    const m = await this.mode(opts?.bnMode, opts?.gradFor);
    const g = m.graph;
    if (gLogits.length !== batch * g.numClasses) throw new MismatchError(`gLogits has ${gLogits.length} values, expected ${batch} × ${g.numClasses}`);
    const f = this.feeds(m, m.vjp, x, batch, opts);
    f[g.gLogitsInput] = new ort.Tensor('float32', gLogits, [batch, g.numClasses]);
    return this.runVjp(g, m.vjp, f);
  }

  private async runVjp(g: VjpGraph, runner: OrtRunner, f: Record<string, ort.Tensor>): Promise<VjpResult> {
    const outs = [g.logitsOutput, ...g.gradOutputs.values(), ...(g.gradXOutput ? [g.gradXOutput] : []), ...g.bnStats.flatMap((b) => [b.meanOutput, b.varOutput])];
    const r = await VjpOrt.run(runner, f, outs, 'vjp');
    return {
      logits: r[g.logitsOutput],
      grads: new Map([...g.gradOutputs].map(([w, o]) => [w, r[o]])),
      gradX: g.gradXOutput ? r[g.gradXOutput] : undefined,
      bnStats: this.stats(g, r),
    };
  }

  /**
   * One run: logits and the VJP of g = softmax(logits)·coef − target (per example coef [batch],
   * target [batch, K]), e.g. mean cross-entropy: coef 1/B, target onehot/B (see softmaxHeadCE).
   */
  async vjpSoftmax(x: Float32Array, batch: number, coef: Float32Array, target: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    const m = await this.mode(opts?.bnMode, opts?.gradFor);
    if (!m.soft) {
      m.soft = (async () => {
        const graph = await buildVjpGraph(this.model, { ...m.opts, bnMode: m.graph.bnMode, head: 'softmax' });
        const vjp = await OrtRunner.create(graph.model, { threads: this.opts.threads, executionProviders: this.opts.executionProviders });
        return { graph, vjp };
      })();
    }
    const { graph: g, vjp } = await m.soft;
    if (coef.length !== batch) throw new MismatchError(`coef has ${coef.length} values, expected ${batch}`);
    if (target.length !== batch * g.numClasses) throw new MismatchError(`target has ${target.length} values, expected ${batch} × ${g.numClasses}`);
    const f = this.feeds(m, vjp, x, batch, opts);
    f[g.coefInput!] = new ort.Tensor('float32', coef, [batch, 1]);
    f[g.targetInput!] = new ort.Tensor('float32', target, [batch, g.numClasses]);
    return this.runVjp(g, vjp, f);
  }

  /** Mean cross-entropy step in one run: loss (from the logits, in JS) and its gradients. */
  async crossEntropyGrad(x: Float32Array, batch: number, labels: Int32Array, opts?: CallOptions): Promise<VjpResult & { loss: number }> {
    const K = (await this.graph(opts?.bnMode)).numClasses;
    const { coef, target } = softmaxHeadCE(labels, K);
    const r = await this.vjpSoftmax(x, batch, coef, target, opts);
    return { ...r, loss: crossEntropyLoss(labels)(r.logits, batch, K).loss };
  }

  /** forward → lossFn(logits) → vjp; returns the loss with the VJP result. */
  async lossAndGrad(x: Float32Array, batch: number, lossFn: LossFn, opts?: CallOptions): Promise<VjpResult & { loss: number }> {
    const m = await this.mode(opts?.bnMode);
    const logits = await this.forward(x, batch, opts);
    const { loss, gLogits } = lossFn(logits, batch, m.graph.numClasses);
    const r = await this.vjp(x, batch, gLogits, opts);
    return { ...r, loss };
  }

  async dispose(): Promise<void> {
    for (const p of this.modes.values()) {
      const m = await p;
      if (m.soft) await (await m.soft).vjp.dispose();
      await m.vjp.dispose();
      await m.fwd.dispose();
    }
    this.modes.clear();
  }
}

/** Mean cross-entropy over the batch and its gradient with respect to the logits: (softmax − onehot)/B. */
export function crossEntropyLoss(labels: Int32Array): LossFn {
  return (logits, B, K) => {
    const g = new Float32Array(B * K);
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const row = logits.subarray(b * K, (b + 1) * K);
      const lse = logSumExp(row);
      const y = labels[b];
      if (!(y >= 0 && y < K)) throw new MismatchError(`label ${y} of example ${b} out of range [0, ${K})`);
      loss += lse - row[y];
      for (let k = 0; k < K; k++) g[b * K + k] = (Math.exp(row[k] - lse) - (k === y ? 1 : 0)) / B;
    }
    return { loss: loss / B, gLogits: g };
  };
}

/** coef and target of the 'softmax' head for the mean cross-entropy: g = (softmax − onehot)/B. */
export function softmaxHeadCE(labels: Int32Array, K: number): { coef: Float32Array; target: Float32Array } {
  const B = labels.length;
  const coef = new Float32Array(B).fill(1 / B);
  const target = new Float32Array(B * K);
  labels.forEach((y, b) => {
    if (!(y >= 0 && y < K)) throw new MismatchError(`label ${y} of example ${b} out of range [0, ${K})`);
    target[b * K + y] = 1 / B;
  });
  return { coef, target };
}

/**
 * Running-statistics update from a train-mode VJP/forward result, in place on `weights` (keyed by
 * initializer name, e.g. a copy of getWeights()): running = running·momentum + batch·(1 − momentum)
 * with the unbiased batch variance (ONNX momentum convention, PyTorch's update). Call setWeights after.
 */
export function updateRunningStats(weights: Map<string, Float32Array>, stats: Map<string, BnBatchStats>): void {
  for (const s of stats.values()) {
    const rm = weights.get(s.meanName);
    const rv = weights.get(s.varName);
    if (!rm || !rv) throw new MismatchError(`no running statistics '${s.meanName}'/'${s.varName}' in the weights`);
    for (let i = 0; i < rm.length; i++) {
      rm[i] = rm[i] * s.momentum + s.mean[i] * (1 - s.momentum);
      rv[i] = rv[i] * s.momentum + s.varUnbiased[i] * (1 - s.momentum);
    }
  }
}

/**
 * coef and target of the 'softmax' head for w·Σ_b E(x_b) with the energy E = −logsumexp(logits):
 * ∂/∂logits = −w·softmax (JEM: w = 1/B for data, −1/B for samples; rows of several terms can be
 * concatenated into one batch, each with its own coef/target).
 */
export function softmaxHeadEnergy(batch: number, K: number, w: number): { coef: Float32Array; target: Float32Array } {
  return { coef: new Float32Array(batch).fill(-w), target: new Float32Array(batch * K) };
}
