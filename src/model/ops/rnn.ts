/**
 * LSTM, GRU and RNN (ONNX semantics: forward/reverse/bidirectional, layout 0 [seq, batch, in] or
 * 1 [batch, seq, in], optional bias, initial states, peepholes, clip, activations among
 * Sigmoid/Tanh/Relu/HardSigmoid/Affine-free ones, GRU linear_before_reset, sequence_lens for the
 * forward direction). Unrolled over time with ordinary tfjs ops, so autodiff covers them.
 */
import * as tf from '@tensorflow/tfjs';
import { attr, attrFloat, attrInt, attrString } from '../onnx-io.ts';
import { need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { toConst, toTensor } from './value.ts';

type Act = (x: tf.Tensor) => tf.Tensor;

function activation(ctx: OpCtx, name: string, alpha?: number, beta?: number): Act {
  switch (name.toLowerCase()) {
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'relu':
      return (x) => tf.relu(x);
    case 'hardsigmoid': {
      const a = alpha ?? 0.2;
      const b = beta ?? 0.5;
      return (x) => tf.clipByValue(tf.add(tf.mul(x, a), b), 0, 1);
    }
    case 'leakyrelu':
      return (x) => tf.leakyRelu(x, alpha ?? 0.01);
    default:
      return unsupported(ctx, `activation '${name}'`);
  }
}

function activations(ctx: OpCtx, defaults: string[], numDir: number): Act[][] {
  const a = attr(ctx.node, 'activations');
  const names = a?.strings?.length ? a.strings.map((s) => Buffer.from(s).toString('utf8')) : [...defaults, ...(numDir === 2 ? defaults : [])];
  const alphas = attr(ctx.node, 'activation_alpha')?.floats ?? [];
  const betas = attr(ctx.node, 'activation_beta')?.floats ?? [];
  const acts = names.map((n, i) => activation(ctx, n, alphas[i], betas[i]));
  const per = defaults.length;
  return Array.from({ length: numDir }, (_, d) => acts.slice(d * per, d * per + per));
}

interface Common {
  X: tf.Tensor3D; // [seq, batch, in]
  W: tf.Tensor3D;
  R: tf.Tensor3D;
  B?: tf.Tensor2D;
  seqLens?: number[];
  initH?: tf.Tensor3D;
  hidden: number;
  numDir: number;
  dirs: ('forward' | 'reverse')[];
  clip: number;
  layout: number;
  seq: number;
  batch: number;
}

function common(ctx: OpCtx): Common {
  const layout = attrInt(ctx.node, 'layout', 0);
  let X = toTensor(need(ctx, 0)) as tf.Tensor3D;
  if (layout === 1) X = tf.transpose(X, [1, 0, 2]);
  const W = toTensor(need(ctx, 1)) as tf.Tensor3D;
  const R = toTensor(need(ctx, 2)) as tf.Tensor3D;
  const B = ctx.inputs[3] ? (toTensor(ctx.inputs[3]) as tf.Tensor2D) : undefined;
  const seqLens = ctx.inputs[4] ? toConst(ctx.inputs[4]).data : undefined;
  let initH = ctx.inputs[5] ? (toTensor(ctx.inputs[5]) as tf.Tensor3D) : undefined;
  if (initH && layout === 1) initH = tf.transpose(initH, [1, 0, 2]);
  const direction = attrString(ctx.node, 'direction', 'forward');
  const dirs: ('forward' | 'reverse')[] = direction === 'bidirectional' ? ['forward', 'reverse'] : direction === 'reverse' ? ['reverse'] : ['forward'];
  const [seq, batch] = X.shape;
  if (seqLens && dirs.includes('reverse') && seqLens.some((l) => l !== seq)) unsupported(ctx, 'sequence_lens shorter than the sequence with a reverse direction');
  return {
    X,
    W,
    R,
    B,
    seqLens: seqLens && seqLens.some((l) => l !== seq) ? seqLens : undefined,
    initH,
    hidden: attrInt(ctx.node, 'hidden_size', R.shape[2]),
    numDir: dirs.length,
    dirs,
    clip: attrFloat(ctx.node, 'clip', 0),
    layout,
    seq,
    batch,
  };
}

/** Gate slices of W/R/B for direction d: input projections for all steps at once. */
function project(c: Common, d: number, gates: number): { xw: tf.Tensor2D[]; Rt: tf.Tensor2D; wb: tf.Tensor | null; rb: tf.Tensor | null } {
  const H = c.hidden;
  const Wd = tf.squeeze(tf.slice(c.W, [d, 0, 0], [1, gates * H, c.W.shape[2]]), [0]) as tf.Tensor2D;
  const Rd = tf.squeeze(tf.slice(c.R, [d, 0, 0], [1, gates * H, H]), [0]) as tf.Tensor2D;
  const Bd = c.B ? (tf.squeeze(tf.slice(c.B, [d, 0], [1, 2 * gates * H]), [0]) as tf.Tensor1D) : null;
  const wb = Bd ? tf.slice(Bd, [0], [gates * H]) : null;
  const rb = Bd ? tf.slice(Bd, [gates * H], [gates * H]) : null;
  const x2 = tf.reshape(c.X, [c.seq * c.batch, c.X.shape[2]]);
  let xw: tf.Tensor = tf.matMul(x2, tf.transpose(Wd));
  if (wb) xw = tf.add(xw, wb);
  const steps = tf.unstack(tf.reshape(xw, [c.seq, c.batch, gates * H])) as tf.Tensor2D[];
  return { xw: steps, Rt: tf.transpose(Rd) as tf.Tensor2D, wb, rb };
}

function clipT(c: Common, x: tf.Tensor): tf.Tensor {
  return c.clip > 0 ? tf.clipByValue(x, -c.clip, c.clip) : x;
}

function initState(c: Common, t: tf.Tensor3D | undefined, d: number): tf.Tensor2D {
  return t ? (tf.squeeze(tf.slice(t, [d, 0, 0], [1, c.batch, c.hidden]), [0]) as tf.Tensor2D) : tf.zeros([c.batch, c.hidden]);
}

/** Step mask [batch, 1] for sequence_lens (forward direction only). */
function stepMask(c: Common, t: number): tf.Tensor | null {
  if (!c.seqLens) return null;
  return tf.tensor2d(c.seqLens.map((l) => (t < l ? 1 : 0)), [c.batch, 1]);
}

/** Runs one direction; `cell` maps (projected x_t, states) → new states (first = h). */
function scan(c: Common, d: number, states: tf.Tensor2D[], cell: (xw: tf.Tensor2D, s: tf.Tensor2D[]) => tf.Tensor2D[], xw: tf.Tensor2D[]) {
  const order = Array.from({ length: c.seq }, (_, i) => (c.dirs[d] === 'reverse' ? c.seq - 1 - i : i));
  const ys: tf.Tensor2D[] = new Array(c.seq);
  let s = states;
  for (const t of order) {
    const ns = cell(xw[t]!, s);
    const m = stepMask(c, t);
    if (m) {
      const keep = tf.sub(1, m);
      s = ns.map((v, i) => tf.add(tf.mul(v, m), tf.mul(s[i]!, keep)) as tf.Tensor2D);
      ys[t] = tf.mul(ns[0]!, m) as tf.Tensor2D;
    } else {
      s = ns;
      ys[t] = ns[0]!;
    }
  }
  return { ys, final: s };
}

/** Y [seq, dir, batch, hidden] (or layout 1 [batch, seq, dir, hidden]) and Y_h-like finals. */
function outputs(c: Common, ys: tf.Tensor2D[][], finals: tf.Tensor2D[][]): tf.Tensor[] {
  let Y: tf.Tensor = tf.stack(ys.map((perDir) => tf.stack(perDir)), 1); // [seq, dir, batch, hidden]
  if (c.layout === 1) Y = tf.transpose(Y, [2, 0, 1, 3]);
  const nFinal = finals[0]!.length;
  const fin: tf.Tensor[] = [];
  for (let k = 0; k < nFinal; k++) {
    let f: tf.Tensor = tf.stack(finals.map((fs) => fs[k]!)); // [dir, batch, hidden]
    if (c.layout === 1) f = tf.transpose(f, [1, 0, 2]);
    fin.push(f);
  }
  return [Y, ...fin];
}

function lstm(ctx: OpCtx): tf.Tensor[] {
  if (attrInt(ctx.node, 'input_forget', 0) !== 0) unsupported(ctx, 'LSTM input_forget=1');
  const c = common(ctx);
  const H = c.hidden;
  let initC = ctx.inputs[6] ? (toTensor(ctx.inputs[6]) as tf.Tensor3D) : undefined;
  if (initC && c.layout === 1) initC = tf.transpose(initC, [1, 0, 2]);
  const P = ctx.inputs[7] ? (toTensor(ctx.inputs[7]) as tf.Tensor2D) : undefined;
  const acts = activations(ctx, ['Sigmoid', 'Tanh', 'Tanh'], c.numDir);
  const ys: tf.Tensor2D[][] = [];
  const finals: tf.Tensor2D[][] = [];
  for (let d = 0; d < c.numDir; d++) {
    const [f, g, h] = acts[d]!;
    const { xw, Rt, rb } = project(c, d, 4);
    const pd = P ? tf.squeeze(tf.slice(P, [d, 0], [1, 3 * H]), [0]) : null;
    const [pi, po, pf] = pd ? tf.split(pd, 3) : [null, null, null];
    const cell = (x: tf.Tensor2D, [hp, cp]: tf.Tensor2D[]): tf.Tensor2D[] => {
      let z: tf.Tensor = tf.add(x, tf.matMul(hp!, Rt));
      if (rb) z = tf.add(z, rb);
      const [zi, zo, zf, zc] = tf.split(z, 4, 1);
      const it = f!(clipT(c, pi ? tf.add(zi!, tf.mul(pi, cp!)) : zi!));
      const ft = f!(clipT(c, pf ? tf.add(zf!, tf.mul(pf, cp!)) : zf!));
      const ct = g!(clipT(c, zc!));
      const Ct = tf.add(tf.mul(ft, cp!), tf.mul(it, ct)) as tf.Tensor2D;
      const ot = f!(clipT(c, po ? tf.add(zo!, tf.mul(po, Ct)) : zo!));
      return [tf.mul(ot, h!(Ct)) as tf.Tensor2D, Ct];
    };
    const r = scan(c, d, [initState(c, c.initH, d), initState(c, initC, d)], cell, xw);
    ys.push(r.ys);
    finals.push(r.final);
  }
  return outputs(c, ys, finals);
}

function gru(ctx: OpCtx): tf.Tensor[] {
  const c = common(ctx);
  const H = c.hidden;
  const lbr = attrInt(ctx.node, 'linear_before_reset', 0) !== 0;
  const acts = activations(ctx, ['Sigmoid', 'Tanh'], c.numDir);
  const ys: tf.Tensor2D[][] = [];
  const finals: tf.Tensor2D[][] = [];
  for (let d = 0; d < c.numDir; d++) {
    const [f, g] = acts[d]!;
    const { xw, Rt, rb } = project(c, d, 3);
    const [Rzr, Rh] = tf.split(Rt, [2 * H, H], 1);
    const [rbzr, rbh] = rb ? tf.split(rb, [2 * H, H]) : [null, null];
    const cell = (x: tf.Tensor2D, [hp]: tf.Tensor2D[]): tf.Tensor2D[] => {
      const [xz, xr, xh] = tf.split(x, 3, 1);
      let zr: tf.Tensor = tf.matMul(hp!, Rzr!);
      if (rbzr) zr = tf.add(zr, rbzr);
      const [hz, hr] = tf.split(zr, 2, 1);
      const zt = f!(clipT(c, tf.add(xz!, hz!)));
      const rt = f!(clipT(c, tf.add(xr!, hr!)));
      let hh: tf.Tensor;
      if (lbr) {
        let rh: tf.Tensor = tf.matMul(hp!, Rh!);
        if (rbh) rh = tf.add(rh, rbh);
        hh = g!(clipT(c, tf.add(xh!, tf.mul(rt, rh))));
      } else {
        let rh: tf.Tensor = tf.matMul(tf.mul(rt, hp!) as tf.Tensor2D, Rh!);
        if (rbh) rh = tf.add(rh, rbh);
        hh = g!(clipT(c, tf.add(xh!, rh)));
      }
      return [tf.add(tf.mul(tf.sub(1, zt), hh), tf.mul(zt, hp!)) as tf.Tensor2D];
    };
    const r = scan(c, d, [initState(c, c.initH, d)], cell, xw);
    ys.push(r.ys);
    finals.push(r.final);
  }
  return outputs(c, ys, finals);
}

function rnn(ctx: OpCtx): tf.Tensor[] {
  const c = common(ctx);
  const acts = activations(ctx, ['Tanh'], c.numDir);
  const ys: tf.Tensor2D[][] = [];
  const finals: tf.Tensor2D[][] = [];
  for (let d = 0; d < c.numDir; d++) {
    const [f] = acts[d]!;
    const { xw, Rt, rb } = project(c, d, 1);
    const cell = (x: tf.Tensor2D, [hp]: tf.Tensor2D[]): tf.Tensor2D[] => {
      let z: tf.Tensor = tf.add(x, tf.matMul(hp!, Rt));
      if (rb) z = tf.add(z, rb);
      return [f!(clipT(c, z)) as tf.Tensor2D];
    };
    const r = scan(c, d, [initState(c, c.initH, d)], cell, xw);
    ys.push(r.ys);
    finals.push(r.final);
  }
  return outputs(c, ys, finals);
}

export const rnnOps: Record<string, OpImpl> = { LSTM: lstm, GRU: gru, RNN: rnn };
