/**
 * Gradient checks shared by importer-grad-cpu.test.ts and importer-grad-wasm.test.ts (one backend
 * per process). Direction-projected central differences: for a random direction v,
 * (L(p + εv) − L(p − εv)) / 2ε is compared with ∇L·v, with L = Σ R ⊙ logits summed in float64.
 * ReLU and MaxPool make L piecewise linear, and a step that crosses a kink spoils the difference;
 * float32 rounding spoils tiny steps. So ε runs down a ladder (1e-3 … 1e-6) and the value is taken
 * where two adjacent steps agree best.
 * Directions are v = g/rms(g) + r with r ~ N(0, I): a purely random r often gives a directional
 * derivative so small that float32 noise and kink crossings dominate it (e.g. a first-layer conv
 * filter of a 62k-unit ReLU layer); the random part still probes every component.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ONNX_REF } from '../shared-ref.ts';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { decodeTensor, loadModel, tensorToArray } from '../../src/model/onnx-io.ts';
import { importModel, type ImportedGraph } from '../../src/model/importer.ts';
import { Rng } from '../../src/util/rng.ts';

export const REF = ONNX_REF;
export const MODELS = ['mlp_spliced_op13', 'cnn2d_kws_op13_nofold', 'tdnn1d_op13'];

export function refInput(model: string, set = 0): { data: Float32Array; dims: number[] } {
  const a = tensorToArray(decodeTensor(fs.readFileSync(`${REF}/${model}/test_data_set_${set}/input_0.pb`)));
  return { data: a.data as Float32Array, dims: a.dims };
}

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

/** g/rms(g) + N(0, I). */
function direction(rng: Rng, g: Float32Array): Float32Array {
  const rms = Math.sqrt(dot64(g, g) / g.length) || 1;
  const v = randn(rng, g.length);
  for (let i = 0; i < v.length; i++) v[i] += g[i] / rms;
  return v;
}

function dot64(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface GradCheck {
  what: string;
  analytic: number;
  fd: number;
  eps: number;
  relErr: number;
}

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
}

/**
 * Input and parameter gradient checks of one model. `training`: BatchNorm batch statistics
 * (without updating the running ones).
 */
export function checkModelGrads(
  name: string,
  opts: { training?: boolean; dirs?: number; eps?: number[]; batch?: number; frames?: number } = {},
): GradCheck[] {
  const model: ImportedGraph = importModel(loadModel(`${REF}/${name}/model.onnx`), { trainable: 'all' });
  const rng = new Rng(1234);
  const ref = refInput(name);
  let dims = ref.dims.slice();
  if (opts.batch) dims[0] = Math.min(dims[0], opts.batch);
  let x = tf.tensor(ref.data.slice(0, dims.reduce((a, b) => a * b, 1)), dims, 'float32');
  if (opts.frames && opts.frames < dims[dims.length - 1]) {
    // fewer frames → fewer ReLU units whose kinks a finite step can cross
    // new shape arrays: the wasm backend keeps a reference to the shape array a tensor was made with
    const full = x;
    dims = [...dims.slice(0, -1), opts.frames];
    x = tf.slice(full, dims.map(() => 0), dims);
    full.dispose();
  }
  const ro = { training: !!opts.training, updateStats: false };
  const probe = model.logits(x, ro);
  const R = randn(rng, probe.size);
  const Rt = tf.tensor(R, probe.shape, 'float32');
  probe.dispose();
  const lossT = (xx: tf.Tensor) => tf.sum(tf.mul(model.logits(xx, ro), Rt)) as tf.Scalar;
  const loss64 = (xx: tf.Tensor) =>
    tf.tidy(() => dot64(model.logits(xx, ro).dataSync() as Float32Array, R));
  const ladder = opts.eps ?? [1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6];
  /**
   * Central differences for every step of the ladder; the answer is the mean of the two adjacent
   * steps that agree best (the plateau between kink crossings at large steps and float32
   * rounding at small ones).
   */
  const centralFd = (f: (s: number) => number): { fd: number; eps: number } => {
    const fds = ladder.map((e) => (f(e) - f(-e)) / (2 * e));
    let k = 0;
    for (let i = 1; i + 1 < fds.length; i++) if (Math.abs(fds[i]! - fds[i + 1]!) < Math.abs(fds[k]! - fds[k + 1]!)) k = i;
    return fds.length === 1 ? { fd: fds[0]!, eps: ladder[0]! } : { fd: (fds[k]! + fds[k + 1]!) / 2, eps: ladder[k]! };
  };
  const out: GradCheck[] = [];
  // input gradient
  const gx = tf.tidy(() => tf.grad(lossT)(x));
  const gxd = gx.dataSync() as Float32Array;
  for (let k = 0; k < (opts.dirs ?? 2); k++) {
    const v = direction(rng, gxd);
    const an = dot64(gxd, v);
    const vt = tf.tensor(v, dims);
    const { fd, eps } = centralFd((s) => tf.tidy(() => loss64(tf.add(x, tf.mul(vt, s)))));
    vt.dispose();
    out.push({ what: `input dir ${k}`, analytic: an, fd, eps, relErr: rel(an, fd) });
  }
  gx.dispose();
  // parameter gradients, one direction per parameter tensor
  const { grads } = tf.variableGrads(() => lossT(x));
  const byVar = new Map<tf.Variable, string>();
  for (const [n, v] of model.variables) byVar.set(v, n);
  for (const [n, v] of model.variables) {
    if (!v.trainable) continue;
    const g = grads[v.name];
    if (!g) throw new Error(`no gradient for ${n}`);
    const gd = g.dataSync() as Float32Array;
    const d = direction(rng, gd);
    const an = dot64(gd, d);
    const orig = v.clone();
    const at = (s: number) =>
      tf.tidy(() => {
        v.assign(tf.add(orig, tf.mul(tf.tensor(d, v.shape), s)));
        return loss64(x);
      });
    const { fd, eps } = centralFd(at);
    v.assign(orig);
    orig.dispose();
    out.push({ what: `param ${n}`, analytic: an, fd, eps, relErr: rel(an, fd) });
  }
  for (const g of Object.values(grads)) g.dispose();
  x.dispose();
  Rt.dispose();
  model.dispose();
  return out;
}

/** The finite-difference gradient test of each reference model, named for `backend` (selected by the caller). */
export function registerModelGradTests(backend: string): void {
  for (const m of MODELS) {
    test(`[${backend}] ${m}: input and parameter gradients match central differences (rel <= 1e-2)`, (t) => {
      const checks = checkModelGrads(m, { batch: m.startsWith('mlp') ? undefined : 1, frames: m.startsWith('tdnn') ? 40 : undefined });
      const worst = Math.max(...checks.map((c) => c.relErr));
      t.diagnostic(`${m}: worst rel err ${worst.toExponential(2)}; ${checks.map((c) => `${c.what} ${c.relErr.toExponential(1)}`).join(', ')}`);
      for (const c of checks) assert.ok(c.relErr <= 1e-2, `${c.what}: analytic ${c.analytic} vs FD ${c.fd} (eps ${c.eps}, rel ${c.relErr})`);
    });
  }
}
