/**
 * The onnxruntime GradEngine and SGLD sampler, data-parallel over an OrtWorkerPool
 * (./ort-workers.ts): every eval-mode BatchNorm call (rows independent) is split into row blocks
 * that the workers run at the same time, the logits / energies / ∂E/∂x concatenated and the
 * parameter gradients summed. Train-mode calls (batch statistics over the whole batch) run whole on
 * the in-process engine, as without workers.
 */
import type { BnMode, CallOptions, EnergyGrad, LossFn, VjpResult } from '../model/types.ts';
import type { VjpOrt } from '../model/vjp-ort.ts';
import { MismatchError } from '../util/errors.ts';
import type { GradEngine } from './engine.ts';
import { rowBlocks, type OrtWorkerPool, type WorkerCall } from './ort-workers.ts';

/** Start row and row count of each block. (Blocks are posted as copies: `slice`, never `subarray`,
 * whose whole underlying buffer the structured clone would copy.) */
function blocks(rows: number[]): { start: number; n: number }[] {
  let s = 0;
  return rows.map((n) => {
    const b = { start: s, n };
    s += n;
    return b;
  });
}

/** A copy of block `b`'s rows of a per-row array of `batch` rows. */
function rowsOf(a: Float32Array, batch: number, b: { start: number; n: number }): Float32Array {
  const w = a.length / batch;
  return a.slice(b.start * w, (b.start + b.n) * w);
}

function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Σ of the blocks' gradients (the first block's arrays are summed into). */
function sumGrads(parts: Map<string, Float32Array>[]): Map<string, Float32Array> {
  const out = parts[0];
  for (const p of parts.slice(1)) {
    for (const [k, g] of p) {
      const acc = out.get(k);
      if (!acc) throw new MismatchError(`data-parallel VJP: gradient '${k}' missing from the first row block`);
      for (let i = 0; i < g.length; i++) acc[i] += g[i];
    }
  }
  return out;
}

export class DataParallelEngine implements GradEngine {
  readonly name = 'ort' as const;

  constructor(
    private readonly local: VjpOrt,
    private readonly pool: OrtWorkerPool,
    private readonly defaultBn: BnMode,
  ) {}

  get numClasses(): number {
    return this.local.numClasses;
  }

  trainableNames(): Promise<string[]> {
    return this.local.trainableNames();
  }

  getShapes(): Map<string, number[]> {
    return this.local.getShapes();
  }

  getWeights(): Map<string, Float32Array> {
    return this.local.getWeights();
  }

  setWeights(w: Map<string, Float32Array>): void {
    this.local.setWeights(w);
    this.pool.setWeights(w);
  }

  /** Whether a call with these options runs on the workers: eval-mode BatchNorm and ≥ 2 rows. */
  private split(batch: number, opts?: CallOptions): boolean {
    return (opts?.bnMode ?? this.defaultBn) === 'eval' && batch >= 2 && this.pool.size >= 2;
  }

  /** Run `make(block)` on the workers, one row block each. */
  private async scatter<T>(batch: number, make: (b: { start: number; n: number }) => WorkerCall): Promise<T[]> {
    return Promise.all(blocks(rowBlocks(batch, this.pool.size)).map((b, i) => this.pool.call<T>(i, make(b))));
  }

  async forward(x: Float32Array, batch: number, opts?: CallOptions): Promise<Float32Array> {
    if (!this.split(batch, opts)) return this.local.forward(x, batch, opts);
    const parts = await this.scatter<Float32Array>(batch, (b) => ({ op: 'forward', x: rowsOf(x, batch, b), batch: b.n, opts }));
    return concatRows(parts);
  }

  async forwardWithStats(x: Float32Array, batch: number, opts?: CallOptions): Promise<{ logits: Float32Array; bnStats?: undefined }> {
    if (!this.split(batch, opts)) return this.local.forwardWithStats(x, batch, opts) as Promise<{ logits: Float32Array; bnStats?: undefined }>;
    return { logits: await this.forward(x, batch, opts) };
  }

  private combine(parts: VjpResult[]): VjpResult {
    return {
      logits: concatRows(parts.map((p) => p.logits)),
      grads: sumGrads(parts.map((p) => p.grads)),
      gradX: parts[0].gradX ? concatRows(parts.map((p) => p.gradX as Float32Array)) : undefined,
    };
  }

  async vjp(x: Float32Array, batch: number, gLogits: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    if (!this.split(batch, opts)) return this.local.vjp(x, batch, gLogits, opts);
    return this.combine(await this.scatter<VjpResult>(batch, (b) => ({ op: 'vjp', x: rowsOf(x, batch, b), batch: b.n, gLogits: rowsOf(gLogits, batch, b), opts })));
  }

  async vjpSoftmax(x: Float32Array, batch: number, coef: Float32Array, target: Float32Array, opts?: CallOptions): Promise<VjpResult> {
    if (!this.split(batch, opts)) return this.local.vjpSoftmax(x, batch, coef, target, opts);
    return this.combine(
      await this.scatter<VjpResult>(batch, (b) => ({ op: 'vjpSoftmax', x: rowsOf(x, batch, b), batch: b.n, coef: rowsOf(coef, batch, b), target: rowsOf(target, batch, b), opts })),
    );
  }

  async lossAndGrad(x: Float32Array, batch: number, lossFn: LossFn, opts?: CallOptions): Promise<VjpResult & { loss: number }> {
    if (!this.split(batch, opts)) return this.local.lossAndGrad(x, batch, lossFn, opts);
    const logits = await this.forward(x, batch, opts);
    const { loss, gLogits } = lossFn(logits, batch, this.numClasses);
    return { ...(await this.vjp(x, batch, gLogits, opts)), loss };
  }

  /** The in-process engine only: the pool's owner closes the workers. */
  async dispose(): Promise<void> {
    await this.local.dispose();
  }
}

/** The eval-mode ∂E/∂x sampler (EnergyGradOrt) over the workers: each scores its block of chains. */
export class DataParallelEnergyGrad implements EnergyGrad {
  readonly bnMode = 'eval' as const;

  constructor(
    private readonly pool: OrtWorkerPool,
    readonly exampleShape: number[],
  ) {}

  setWeights(w: Map<string, Float32Array>): void {
    this.pool.setWeights(w);
  }

  async energyAndGrad(x: Float32Array, batch: number, classes?: Int32Array): Promise<{ energy: Float32Array; grad: Float32Array }> {
    if (classes) throw new MismatchError('data-parallel sampler: class-conditional energies are not supported (use --workers 1)');
    const per = this.exampleShape.reduce((a, b) => a * b, 1);
    if (x.length !== batch * per) throw new MismatchError(`energyAndGrad: ${x.length} values for batch ${batch} × [${this.exampleShape.join(', ')}]`);
    const parts = await Promise.all(
      blocks(rowBlocks(batch, this.pool.size)).map((b, i) =>
        this.pool.call<{ energy: Float32Array; grad: Float32Array }>(i, { op: 'energy', x: rowsOf(x, batch, b), batch: b.n }),
      ),
    );
    return { energy: concatRows(parts.map((p) => p.energy)), grad: concatRows(parts.map((p) => p.grad)) };
  }

  dispose(): void {}
}
