/**
 * Per-op gradient checks for the rules of src/model/gradgraph/rules/: a tiny graph around one op,
 * its VJP graph (the product path: buildVjpGraph → onnxruntime) gives ∂L/∂x and ∂L/∂w for
 * L = Σ g·logits (g fixed, random), compared element by element with central finite differences
 * of the forward graph (float32 graphs, float64 accumulation of L).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VjpOrt, type VjpOrtOptions } from '../../../src/model/vjp-ort.ts';
import { int64Tensor, floatTensor, type NodeProto, type TensorProto } from '../../../src/model/onnx-io.ts';
import { Rng } from '../../../src/util/rng.ts';
import { node, tinyModel } from '../grad-graph-helpers.ts';

export { node, randTensor } from '../grad-graph-helpers.ts';
export { Rng };

/** One test per (op, variant); the coverage test finds the ops by this call. */
export function opTest(op: string, variant: string, fn: () => Promise<void>): void {
  test(`${op}: ${variant}`, fn);
}

export interface GradCase {
  nodes: NodeProto[];
  inits?: TensorProto[];
  /** Model input dims (strings: dynamic). */
  xDims: (number | string)[];
  /** Shape of this call's x (default: xDims, which must then be static). */
  shape?: number[];
  /** The op's output; a Reshape to `logitsShape` (default [0, −1]) makes it the logits. */
  out: string;
  logitsShape?: number[];
  /** Sum `out` over this (dynamic) axis first, so the logits have a static class count. */
  sumAxis?: number;
  /** x values (default: normal); e.g. kept away from kinks or ties. */
  x?: (rng: Rng, n: number) => Float32Array;
  trainable?: VjpOrtOptions['trainable'];
  opts?: Partial<VjpOrtOptions>;
  opset?: number;
  /** Gradient outputs that must be present (besides x). */
  expectGrads?: string[];
  eps?: number;
  /** Largest |fd − grad| / max|grad| allowed, per tensor. */
  tol?: number;
  seed?: number;
  /** At most this many elements per tensor are checked (random subset). */
  maxElems?: number;
}

/** Values ±k/n·scale (k = 1..n, shuffled, alternating signs): no ties, gaps and |v| ≥ scale/n; for kinks (Relu, Abs, MaxPool...). */
export function spread(rng: Rng, n: number, scale = 1): Float32Array {
  const v = Array.from({ length: n }, (_, i) => (i + 1) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return Float32Array.from(v, (z, i) => scale * (i % 2 ? z : -z));
}

/** Positive values in [lo, hi]. */
export function positive(lo: number, hi: number): (rng: Rng, n: number) => Float32Array {
  return (rng, n) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function subset(rng: Rng, n: number, k: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= k) return all;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k);
}

/**
 * Builds the case, checks every gradient output (x and trainable weights) against central
 * differences and returns the worst scaled error per tensor.
 */
export async function checkGrad(c: GradCase): Promise<Map<string, number>> {
  const rng = new Rng(c.seed ?? 11);
  const shape = c.shape ?? (c.xDims as number[]);
  const B = shape[0];
  const nodes = [...c.nodes];
  const inits = [...(c.inits ?? []), int64Tensor('fd_logits_shape', [2], c.logitsShape ?? [0, -1])];
  let out = c.out;
  if (c.sumAxis !== undefined) {
    nodes.push(node('ReduceSum', [out, 'fd_sum_axes'], ['fd_summed'], { keepdims: { i: 0 } }));
    inits.push(int64Tensor('fd_sum_axes', [1], [c.sumAxis]));
    out = 'fd_summed';
  }
  nodes.push(node('Reshape', [out, 'fd_logits_shape'], ['logits']));
  const m = tinyModel(nodes, inits, c.xDims, 'logits', c.opset ?? 13);
  const v = await VjpOrt.create(m, {
    logitsName: 'logits',
    trainable: c.trainable ?? 'all',
    bnMode: 'eval',
    wantInputGrad: true,
    executionProviders: ['cpu'],
    threads: 1,
    exampleShape: shape.slice(1),
    ...c.opts,
  });
  try {
    const call = { bnMode: 'eval' as const, exampleShape: shape.slice(1) };
    const n = shape.reduce((a, b) => a * b, 1);
    const x = c.x ? c.x(rng, n) : rng.fillNormal(new Float32Array(n));
    assert.equal(x.length, n);
    const l0 = await v.forward(x, B, call);
    const g = rng.fillNormal(new Float32Array(l0.length));
    const r = await v.vjp(x, B, g, call);
    assert.ok(r.gradX, 'no grad_x');
    for (const w of c.expectGrads ?? []) assert.ok(r.grads.has(w), `no gradient for ${w} (have ${[...r.grads.keys()]})`);
    const w0 = new Map([...v.getWeights()].map(([k, a]) => [k, a.slice()]));
    const eps = c.eps ?? 1e-2;
    const tol = c.tol ?? 1e-2;
    const maxElems = c.maxElems ?? 48;
    const worst = new Map<string, number>();
    const check = async (name: string, an: Float32Array, at: (i: number, h: number) => Promise<number>) => {
      const idx = subset(rng, an.length, maxElems);
      let gmax = 0;
      for (const z of an) gmax = Math.max(gmax, Math.abs(z));
      const fds: number[] = [];
      for (const i of idx) fds.push(((await at(i, eps)) - (await at(i, -eps))) / (2 * eps));
      const scale = Math.max(gmax, ...fds.map(Math.abs));
      assert.ok(scale > 1e-3, `${name}: gradient and finite differences are all ~0 (vacuous check)`);
      let e = 0;
      idx.forEach((i, k) => (e = Math.max(e, Math.abs(fds[k] - an[i]) / scale)));
      worst.set(name, e);
      assert.ok(e <= tol, `${name}: |fd − grad| / max|grad| = ${e.toExponential(2)} > ${tol}`);
    };
    await check('x', r.gradX, async (i, h) => {
      const xs = x.slice();
      xs[i] += h;
      return dot(await v.forward(xs, B, call), g);
    });
    for (const [name, an] of r.grads) {
      await check(name, an, async (i, h) => {
        const w = w0.get(name)!.slice();
        w[i] += h;
        v.setWeights(new Map([[name, w]]));
        const l = dot(await v.forward(x, B, call), g);
        v.setWeights(new Map([[name, w0.get(name)!]]));
        return l;
      });
    }
    return worst;
  } finally {
    await v.dispose();
  }
}

export const i64 = int64Tensor;
export const f32 = floatTensor;
