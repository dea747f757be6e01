/**
 * Signal and miscellaneous ops: the window functions, MelWeightMatrix, DFT, STFT, Einsum,
 * CastLike, Det and GridSample. Windows and the mel matrix depend only on integer inputs and are
 * computed in plain JS (ConstVals, like Constant); the others are tfjs ops (DFT and STFT as
 * products with cosine/sine matrices, GridSample as products with constant tap-selection matrices
 * whose weights are computed from the grid tensor) so that gradients flow through tfjs autodiff.
 */
import * as tf from '@tensorflow/tfjs';
import { attrInt, attrString, DataType } from '../onnx-io.ts';
import { matMulDiff } from '../kernels/matmul.ts';
import { fail, need, unsupported, type OpCtx, type OpImpl } from './op.ts';
import { cval, isConst, normAxis, ONNX_TO_CONST_DTYPE, toConst, toTensor, type ConstDType, type ConstVal, type Value } from './value.ts';

function scalarOf(ctx: OpCtx, i: number, what: string): number {
  const v = toConst(need(ctx, i));
  if (v.data.length !== 1) fail(ctx, `${what} must be a scalar, got shape [${v.dims.join(', ')}]`);
  return v.data[0];
}

/** Float64 values → a ConstVal of the ONNX data type `to`. */
function typedConst(ctx: OpCtx, data: number[], dims: number[], to: number): ConstVal {
  const dt = ONNX_TO_CONST_DTYPE[to];
  if (!dt) unsupported(ctx, `output_datatype ${to} is not supported`);
  return cval(data.map(dt === 'float32' ? Math.fround : Math.trunc), dims, dt);
}

// ---------------------------------------------------------------- windows, mel matrix

function windowOp(coeffs: number[]): OpImpl {
  return (ctx) => {
    const n = scalarOf(ctx, 0, 'size');
    if (!Number.isInteger(n) || n < 0) fail(ctx, `window size ${n} must be a non-negative integer`);
    const periodic = attrInt(ctx.node, 'periodic', 1) !== 0;
    const N = periodic ? n : n - 1;
    const data: number[] = [];
    for (let k = 0; k < n; k++) {
      // Σ_j (−1)^j c_j cos(2π j k / N); a symmetric window of length 1 (N = 0) is [1]
      let v = 0;
      coeffs.forEach((cj, j) => (v += (j % 2 === 0 ? cj : -cj) * Math.cos((2 * Math.PI * j * k) / N)));
      data.push(N === 0 ? 1 : v);
    }
    return [typedConst(ctx, data, [n], attrInt(ctx.node, 'output_datatype', DataType.FLOAT))];
  };
}

function melWeightMatrix(ctx: OpCtx): Value[] {
  const numMel = scalarOf(ctx, 0, 'num_mel_bins');
  const dftLength = scalarOf(ctx, 1, 'dft_length');
  const sampleRate = scalarOf(ctx, 2, 'sample_rate');
  const lower = scalarOf(ctx, 3, 'lower_edge_hertz');
  const upper = scalarOf(ctx, 4, 'upper_edge_hertz');
  if (numMel <= 0 || dftLength <= 0 || sampleRate <= 0) fail(ctx, 'num_mel_bins, dft_length and sample_rate must be positive');
  const nSpec = Math.floor(dftLength / 2) + 1;
  // as the ONNX reference (and onnxruntime): num_mel_bins + 2 points evenly spaced on the mel scale
  const lowMel = 2595 * Math.log10(1 + lower / 700);
  const highMel = 2595 * Math.log10(1 + upper / 700);
  const step = (highMel - lowMel) / (numMel + 2);
  const bins: number[] = [];
  for (let i = 0; i < numMel + 2; i++) {
    const hz = 700 * (Math.pow(10, (i * step + lowMel) / 2595) - 1);
    bins.push(Math.floor(((dftLength + 1) * hz) / sampleRate));
  }
  for (const b of bins) if (b < 0 || b >= nSpec) fail(ctx, `the mel filter bank reaches bin ${b}, outside the ${nSpec} spectrogram bins`);
  const out = new Array<number>(nSpec * numMel).fill(0);
  for (let i = 0; i < numMel; i++) {
    const [lo, c, hi] = [bins[i], bins[i + 1], bins[i + 2]];
    if (c === lo) out[c * numMel + i] = 1;
    else for (let j = lo; j <= c; j++) out[j * numMel + i] = (j - lo) / (c - lo);
    if (hi > c) for (let j = c; j < hi; j++) out[j * numMel + i] = (hi - j) / (hi - c);
  }
  return [typedConst(ctx, out, [nSpec, numMel], attrInt(ctx.node, 'output_datatype', DataType.FLOAT))];
}

// ---------------------------------------------------------------- DFT, STFT

/** cos / sin of 2π·j·k/L for j < L (rows), k < K (columns). */
function dftMatrices(L: number, K: number): [tf.Tensor2D, tf.Tensor2D] {
  const c = new Float32Array(L * K);
  const s = new Float32Array(L * K);
  for (let j = 0; j < L; j++) {
    for (let k = 0; k < K; k++) {
      const a = (2 * Math.PI * ((j * k) % L)) / L;
      c[j * K + k] = Math.cos(a);
      s[j * K + k] = Math.sin(a);
    }
  }
  return [tf.tensor2d(c, [L, K]), tf.tensor2d(s, [L, K])];
}

/**
 * DFT of x ([..., n, 1 | 2], real or complex in the last axis) along `axis` (not the last), the
 * signal zero-padded or truncated to `L`; output [..., K, 2] with K = L, or L/2 + 1 when onesided.
 */
function dftAlong(ctx: OpCtx, x: tf.Tensor, axis: number, L: number, inverse: boolean, onesided: boolean): tf.Tensor {
  const r = x.rank;
  const c = x.shape[r - 1];
  if (r < 2 || (c !== 1 && c !== 2)) fail(ctx, `the input's last axis must be 1 (real) or 2 (complex), got shape [${x.shape.join(', ')}]`);
  if (axis < 0 || axis >= r - 1) fail(ctx, `axis ${axis} is out of range for rank ${r} (the last axis holds real/imaginary parts)`);
  if (!Number.isInteger(L) || L < 1) fail(ctx, `dft_length ${L} must be a positive integer`);
  // move the signal axis next to the complex axis
  const perm = [...Array(r - 1).keys()].filter((d) => d !== axis).concat([axis, r - 1]);
  const identity = perm.every((p, i) => p === i);
  let xt = identity ? x : tf.transpose(x, perm);
  const lead = xt.shape.slice(0, r - 2);
  const n = xt.shape[r - 2];
  const M = lead.reduce((a, b) => a * b, 1);
  xt = tf.reshape(xt, [M, n, c]);
  if (L < n) xt = tf.slice(xt, [0, 0, 0], [M, L, c]);
  else if (L > n) xt = tf.pad(xt, [[0, 0], [0, L - n], [0, 0]]);
  const K = onesided ? Math.floor(L / 2) + 1 : L;
  const [C, S] = dftMatrices(L, K);
  // forward e^{-iθ}, inverse e^{+iθ} (then 1/L): yr = xr·C − sg·xi·S, yi = xi·C + sg·xr·S
  const sg = inverse ? 1 : -1;
  const xr = tf.reshape(tf.slice(xt, [0, 0, 0], [M, L, 1]), [M, L]) as tf.Tensor2D;
  let yr: tf.Tensor = matMulDiff(xr, C);
  let yi: tf.Tensor = tf.mul(matMulDiff(xr, S), tf.scalar(sg));
  if (c === 2) {
    const xi = tf.reshape(tf.slice(xt, [0, 0, 1], [M, L, 1]), [M, L]) as tf.Tensor2D;
    yr = tf.sub(yr, tf.mul(matMulDiff(xi, S), tf.scalar(sg)));
    yi = tf.add(yi, matMulDiff(xi, C));
  }
  if (inverse) {
    yr = tf.div(yr, tf.scalar(L));
    yi = tf.div(yi, tf.scalar(L));
  }
  let y: tf.Tensor = tf.reshape(tf.stack([yr, yi], 2), [...lead, K, 2]);
  if (!identity) {
    const inv = new Array<number>(r);
    perm.forEach((p, i) => (inv[p] = i));
    y = tf.transpose(y, inv);
  }
  return y;
}

function dft(ctx: OpCtx): Value[] {
  const x = toTensor(need(ctx, 0));
  const r = x.rank;
  let axis: number;
  if (ctx.opset >= 20) axis = ctx.inputs[2] !== undefined ? scalarOf(ctx, 2, 'axis') : -2;
  else axis = attrInt(ctx.node, 'axis', 1);
  axis = normAxis(axis, r);
  const n = x.shape[axis] ?? 0;
  const L = ctx.inputs[1] !== undefined ? scalarOf(ctx, 1, 'dft_length') : n;
  const inverse = attrInt(ctx.node, 'inverse', 0) !== 0;
  const onesided = attrInt(ctx.node, 'onesided', 0) !== 0;
  return [dftAlong(ctx, x.dtype === 'float32' ? x : tf.cast(x, 'float32'), axis, L, inverse, onesided)];
}

function stft(ctx: OpCtx): Value[] {
  let x = toTensor(need(ctx, 0));
  if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
  if (x.rank === 2) x = tf.expandDims(x, 2);
  if (x.rank !== 3) fail(ctx, `signal must be [batch, length, 1 | 2], got shape [${x.shape.join(', ')}]`);
  const [B, T, c] = x.shape as [number, number, number];
  const step = scalarOf(ctx, 1, 'frame_step');
  const wv = ctx.inputs[2];
  const win = wv !== undefined ? toTensor(wv) : undefined;
  if (win && win.rank !== 1) fail(ctx, `window must be 1-D, got shape [${win.shape.join(', ')}]`);
  let L = ctx.inputs[3] !== undefined ? scalarOf(ctx, 3, 'frame_length') : win ? win.shape[0] : undefined;
  if (L === undefined) fail(ctx, 'either window or frame_length is required');
  if (win && win.shape[0] !== L) fail(ctx, `window length ${win.shape[0]} != frame_length ${L}`);
  L = L as number;
  if (!Number.isInteger(step) || step < 1) fail(ctx, `frame_step ${step} must be a positive integer`);
  if (L < 1 || L > T) fail(ctx, `frame_length ${L} must be in [1, ${T}]`);
  const F = Math.floor((T - L) / step) + 1;
  const frames: tf.Tensor[] = [];
  for (let f = 0; f < F; f++) frames.push(tf.slice(x, [0, f * step, 0], [B, L, c]));
  let fr = tf.stack(frames, 1); // [B, F, L, c]
  if (win) fr = tf.mul(fr, tf.reshape(win.dtype === 'float32' ? win : tf.cast(win, 'float32'), [L, 1]));
  const onesided = attrInt(ctx.node, 'onesided', 1) !== 0;
  return [dftAlong(ctx, fr, 2, L, false, onesided)];
}

// ---------------------------------------------------------------- CastLike

function castLike(ctx: OpCtx): Value[] {
  const x = need(ctx, 0);
  const like = need(ctx, 1);
  const dt: ConstDType = isConst(like) ? like.dtype : like.dtype === 'float32' ? 'float32' : like.dtype === 'bool' ? 'bool' : 'int64';
  const int = dt === 'int64' || dt === 'int32';
  if (isConst(x)) {
    const f = dt === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : int ? Math.trunc : Math.fround;
    return [cval(x.data.map(f), x.dims, dt)];
  }
  const tdt = dt === 'float32' ? 'float32' : dt === 'bool' ? 'bool' : 'int32';
  if (tdt === 'int32' && x.dtype === 'float32') return [tf.cast(tf.sign(x).mul(tf.floor(tf.abs(x))), 'int32')];
  return [x.dtype === tdt ? tf.clone(x) : tf.cast(x, tdt)];
}

// ---------------------------------------------------------------- Det

/**
 * The partial-pivoting row swap for column k of A [B, M, M], as [B, M, M + 1]: the permutation
 * matrix and, in the last column, its sign. The pivot choice is not differentiated (zero gradient).
 */
function pivotSwap(A: tf.Tensor3D, k: number): tf.Tensor3D {
  const f = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
    const [Bn, M] = a.shape as [number, number, number];
    save([a]);
    // the largest |A[i, k]| for i >= k
    const col = tf.reshape(tf.slice(a, [0, 0, k], [Bn, M, 1]), [Bn, M]);
    const rows = tf.tile(tf.reshape(tf.greaterEqual(tf.range(0, M, 1, 'int32'), tf.scalar(k, 'int32')), [1, M]), [Bn, 1]);
    const p = tf.argMax(tf.where(rows, tf.abs(col), tf.fill([Bn, M], -1)), 1) as tf.Tensor1D;
    const ep = tf.oneHot(p, M).toFloat();
    const ek = tf.oneHot(tf.fill([Bn], k, 'int32') as tf.Tensor1D, M).toFloat();
    const outer = (u: tf.Tensor, v: tf.Tensor) => tf.mul(tf.expandDims(u, 2), tf.expandDims(v, 1));
    // p == k: eye − 2·ek·ek' + 2·ek·ek' = eye
    const perm = tf.add(tf.sub(tf.sub(tf.eye(M), outer(ek, ek)), outer(ep, ep)), tf.add(outer(ek, ep), outer(ep, ek)));
    const sign = tf.where(tf.equal(p, tf.scalar(k, 'int32')), tf.ones([Bn]), tf.fill([Bn], -1));
    return {
      value: tf.concat([perm, tf.reshape(sign, [Bn, 1, 1]).tile([1, M, 1])], 2),
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.zerosLike(saved[0]!)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(A) as tf.Tensor3D;
}

/** 1 where x == 0, else 0, with a zero gradient. */
function zeroIndicator(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a]);
    return { value: tf.cast(tf.equal(a, 0), 'float32'), gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.zerosLike(saved[0]!)] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}

/** Determinants of [..., M, M] by Gaussian elimination with partial pivoting (batched tfjs ops). */
function det(ctx: OpCtx): Value[] {
  let a = toTensor(need(ctx, 0));
  if (a.dtype !== 'float32') a = tf.cast(a, 'float32');
  const r = a.rank;
  if (r < 2 || a.shape[r - 1] !== a.shape[r - 2]) fail(ctx, `input must be [..., M, M], got shape [${a.shape.join(', ')}]`);
  const M = a.shape[r - 1];
  const lead = a.shape.slice(0, r - 2);
  const Bn = lead.reduce((x, y) => x * y, 1);
  if (M === 0) return [tf.ones(lead)];
  let A = tf.reshape(a, [Bn, M, M]) as tf.Tensor3D;
  let d: tf.Tensor = tf.ones([Bn]);
  for (let k = 0; k < M; k++) {
    const ps = pivotSwap(A, k); // [Bn, M, M + 1]: the row swap and its sign (±1)
    A = tf.matMul(tf.slice(ps, [0, 0, 0], [Bn, M, M]), A) as tf.Tensor3D;
    d = tf.mul(d, tf.reshape(tf.slice(ps, [0, 0, M], [Bn, 1, 1]), [Bn]));
    const pivot = tf.reshape(tf.slice(A, [0, k, k], [Bn, 1, 1]), [Bn]);
    d = tf.mul(d, pivot);
    if (k + 1 < M) {
      // a zero pivot (singular matrix: det 0) is divided by as 1
      const safe = tf.add(pivot, zeroIndicator(pivot));
      const below = tf.slice(A, [0, k + 1, k], [Bn, M - k - 1, 1]); // [Bn, m, 1]
      const f = tf.div(below, tf.reshape(safe, [Bn, 1, 1]));
      const prow = tf.slice(A, [0, k, 0], [Bn, 1, M]);
      const rest = tf.sub(tf.slice(A, [0, k + 1, 0], [Bn, M - k - 1, M]), tf.mul(f, prow));
      A = tf.concat([tf.slice(A, [0, 0, 0], [Bn, k + 1, M]), rest], 1) as tf.Tensor3D;
    }
  }
  return [tf.reshape(d, lead)];
}

// ---------------------------------------------------------------- Einsum

interface Term {
  t: tf.Tensor;
  labels: string[];
}

/** Parses one operand's subscripts ("ij", "...ii", "b...") into labels; ellipsis dims get labels '.0', '.1', ... (right-aligned over E). */
function parseSubscripts(ctx: OpCtx, s: string, rank: number | undefined, E: number): string[] {
  const parts = s.split('...');
  if (parts.length > 2) fail(ctx, `more than one ellipsis in '${s}'`);
  for (const p of parts) if (!/^[A-Za-z]*$/.test(p)) fail(ctx, `bad subscripts '${s}'`);
  if (parts.length === 1) {
    if (rank !== undefined && rank !== s.length) fail(ctx, `subscripts '${s}' do not match an input of rank ${rank}`);
    return s.split('');
  }
  const named = parts[0].length + parts[1].length;
  const e = rank === undefined ? E : rank - named;
  if (e < 0) fail(ctx, `subscripts '${s}' do not match an input of rank ${rank}`);
  const ell = Array.from({ length: e }, (_, i) => `.${E - e + i}`);
  return [...parts[0].split(''), ...ell, ...parts[1].split('')];
}

/** Removes repeated labels of one operand by taking diagonals (mask and sum, differentiable). */
function takeDiagonals(ctx: OpCtx, term: Term): Term {
  let { t, labels } = term;
  for (;;) {
    const b = labels.findIndex((l, i) => labels.indexOf(l) !== i);
    if (b < 0) return { t, labels };
    const a = labels.indexOf(labels[b]);
    const n = t.shape[a];
    if (t.shape[b] !== n) fail(ctx, `label '${labels[a]}' has sizes ${n} and ${t.shape[b]}`);
    const maskShape = t.shape.map((_, i) => (i === a || i === b ? n : 1));
    t = tf.sum(tf.mul(t, tf.reshape(tf.eye(n), maskShape)), b);
    labels = labels.filter((_, i) => i !== b);
  }
}

/** Sums out the labels of `term` that are not in `keep`. */
function sumOut(term: Term, keep: Set<string>): Term {
  const axes = term.labels.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (axes.length === 0) return term;
  return { t: tf.sum(term.t, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

/** Transposes / broadcasts `term` to the label order `order` (labels it lacks become size-1 axes). */
function alignTo(term: Term, order: string[]): tf.Tensor {
  const present = order.filter((l) => term.labels.includes(l));
  const perm = present.map((l) => term.labels.indexOf(l));
  const t = perm.every((p, i) => p === i) ? term.t : tf.transpose(term.t, perm);
  return tf.reshape(t, order.map((l) => (term.labels.includes(l) ? term.t.shape[term.labels.indexOf(l)] : 1)));
}

/** Contracts two operands, keeping the labels in `keep` (batched matMul when the batch sizes agree). */
function contractPair(x: Term, y: Term, keep: Set<string>): Term {
  const inX = new Set(x.labels);
  const inY = new Set(y.labels);
  const size = (l: string) => (inX.has(l) ? x.t.shape[x.labels.indexOf(l)] : y.t.shape[y.labels.indexOf(l)]);
  const batch = x.labels.filter((l) => inY.has(l) && keep.has(l));
  const contr = x.labels.filter((l) => inY.has(l) && !keep.has(l));
  const xOnly = x.labels.filter((l) => !inY.has(l));
  const yOnly = y.labels.filter((l) => !inX.has(l));
  const sameSizes = [...batch, ...contr].every((l) => x.t.shape[x.labels.indexOf(l)] === y.t.shape[y.labels.indexOf(l)]);
  if (!sameSizes) {
    // size-1 (broadcast) dims: multiply with broadcasting and sum
    const order = [...batch, ...xOnly, ...yOnly, ...contr];
    const prod = tf.mul(alignTo(x, order), alignTo(y, order));
    const out = contr.length > 0 ? tf.sum(prod, contr.map((_, i) => batch.length + xOnly.length + yOnly.length + i)) : prod;
    return { t: out, labels: [...batch, ...xOnly, ...yOnly] };
  }
  const prodOf = (ls: string[]) => ls.reduce((a, l) => a * size(l), 1);
  const xm = tf.reshape(alignTo(x, [...batch, ...xOnly, ...contr]), [prodOf(batch), prodOf(xOnly), prodOf(contr)]) as tf.Tensor3D;
  const ym = tf.reshape(alignTo(y, [...batch, ...contr, ...yOnly]), [prodOf(batch), prodOf(contr), prodOf(yOnly)]) as tf.Tensor3D;
  const labels = [...batch, ...xOnly, ...yOnly];
  return { t: tf.reshape(tf.matMul(xm, ym), labels.map(size)), labels };
}

function einsum(ctx: OpCtx): Value[] {
  const eq = attrString(ctx.node, 'equation', '').replace(/\s+/g, '');
  if (!eq) fail(ctx, 'equation is required');
  const [lhs, rhs, ...extra] = eq.split('->');
  if (extra.length > 0) fail(ctx, `bad equation '${eq}'`);
  const specs = lhs.split(',');
  const ins = ctx.inputs.map((v, i) => (v === undefined ? fail(ctx, `input ${i} is required`) : toTensor(v)));
  if (specs.length !== ins.length) fail(ctx, `equation '${eq}' has ${specs.length} operands but the node has ${ins.length} inputs`);
  const isInt = ins.some((t) => t.dtype === 'int32');
  if (ins.some((t) => t.dtype === 'bool')) unsupported(ctx, 'Einsum on bool tensors');
  const E = Math.max(0, ...specs.map((s, i) => (s.includes('...') ? ins[i].rank - s.replace('...', '').length : 0)));
  const rawLabels = specs.map((s, i) => parseSubscripts(ctx, s, ins[i].rank, E));
  let terms: Term[] = rawLabels.map((labels, i) => takeDiagonals(ctx, { t: ins[i].dtype === 'float32' ? ins[i] : tf.cast(ins[i], 'float32'), labels }));
  let out: string[];
  if (rhs !== undefined) {
    out = parseSubscripts(ctx, rhs, undefined, E);
    if (new Set(out).size !== out.length) fail(ctx, `repeated output label in '${eq}'`);
    const all = new Set(terms.flatMap((t) => t.labels));
    for (const l of out) if (!all.has(l)) fail(ctx, `output label '${l}' does not appear in an input of '${eq}'`);
  } else {
    const count = new Map<string, number>();
    for (const l of rawLabels.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const ell = Array.from({ length: E }, (_, i) => `.${i}`);
    out = [...ell, ...[...count].filter(([l, n]) => n === 1 && !l.startsWith('.')).map(([l]) => l).sort()];
  }
  const outSet = new Set(out);
  const neededLater = (from: number) => new Set([...out, ...terms.slice(from).flatMap((t) => t.labels)]);
  // sum out labels only one operand has and the output does not need, then fold pairwise
  terms = terms.map((t, i) => sumOut(t, new Set([...outSet, ...terms.filter((_, j) => j !== i).flatMap((u) => u.labels)])));
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) acc = contractPair(acc, terms[i], neededLater(i + 1));
  acc = sumOut(acc, outSet);
  let y = out.length === 0 ? tf.reshape(acc.t, []) : alignTo(acc, out);
  if (y === ins[0]) y = tf.clone(y); // an identity equation must not hand back the input itself
  return [isInt ? tf.cast(tf.round(y), 'int32') : y];
}

// ---------------------------------------------------------------- GridSample

/** The ONNX reference's reflection of x into [lo, hi]; also returns d(result)/dx (±1). */
function reflect(x: number, lo: number, hi: number): [number, number] {
  const rng = hi - lo;
  if (x < lo) {
    const dx = lo - x;
    const n = Math.trunc(dx / rng);
    const r = dx - n * rng;
    return n % 2 === 0 ? [lo + r, -1] : [hi - r, 1];
  }
  if (x > hi) {
    const dx = x - hi;
    const n = Math.trunc(dx / rng);
    const r = dx - n * rng;
    return n % 2 === 0 ? [hi - r, -1] : [lo + r, 1];
  }
  return [x, 1];
}

function cubicCoeffs(t: tf.Tensor): tf.Tensor[] {
  const A = -0.75;
  const poly = (x: tf.Tensor, cs: number[]) => cs.reduce<tf.Tensor>((acc, c, i) => (i === 0 ? tf.fill(x.shape, c) : tf.add(tf.mul(acc, x), tf.scalar(c))), tf.scalar(0));
  const one = tf.scalar(1);
  // |x| in [1, 2): A|x|³ − 5A|x|² + 8A|x| − 4A; |x| < 1: (A+2)|x|³ − (A+3)|x|² + 1
  const far = (x: tf.Tensor) => poly(x, [A, -5 * A, 8 * A, -4 * A]);
  const near = (x: tf.Tensor) => poly(x, [A + 2, -(A + 3), 0, 1]);
  return [far(tf.add(t, one)), near(t), near(tf.sub(one, t)), far(tf.sub(tf.scalar(2), t))];
}

function gridSample(ctx: OpCtx): Value[] {
  let x = toTensor(need(ctx, 0));
  let grid = toTensor(need(ctx, 1));
  if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
  if (grid.dtype !== 'float32') grid = tf.cast(grid, 'float32');
  const nd = x.rank - 2; // spatial dims
  if (nd < 1 || nd > 3 || (ctx.opset < 20 && nd !== 2)) unsupported(ctx, `GridSample on a rank-${x.rank} input at opset ${ctx.opset}`);
  let mode = attrString(ctx.node, 'mode', ctx.opset >= 20 ? 'linear' : 'bilinear');
  if (ctx.opset < 20 && mode === 'bilinear') mode = 'linear';
  if (ctx.opset < 20 && mode === 'bicubic') mode = 'cubic';
  if (mode !== 'linear' && mode !== 'cubic' && mode !== 'nearest') unsupported(ctx, `mode '${mode}'`);
  const pad = attrString(ctx.node, 'padding_mode', 'zeros');
  if (pad !== 'zeros' && pad !== 'border' && pad !== 'reflection') unsupported(ctx, `padding_mode '${pad}'`);
  const align = attrInt(ctx.node, 'align_corners', 0) !== 0;
  const [N, C] = x.shape as [number, number];
  const dims = x.shape.slice(2);
  const outDims = grid.shape.slice(1, grid.rank - 1);
  if (grid.rank !== x.rank || grid.shape[0] !== N || grid.shape[grid.rank - 1] !== nd) {
    fail(ctx, `grid must be [${N}, ${dims.map(() => 'D').join(', ')}, ${nd}], got [${grid.shape.join(', ')}]`);
  }
  const P = outDims.reduce((u, v) => u * v, 1);
  const Q = dims.reduce((u, v) => u * v, 1);
  const g = grid.dataSync() as Float32Array;
  const lo = dims.map(() => (align ? 0 : -0.5));
  const hi = dims.map((d) => (align ? d - 1 : d - 0.5));
  // per point and spatial dim (0 = outermost; the grid lists them innermost first: x, y, z): the
  // raw and the padded coordinate, and the slope of the padded one w.r.t. the raw one
  const raw = dims.map(() => new Float32Array(N * P));
  const coord = dims.map(() => new Float64Array(N * P));
  const slope = dims.map(() => new Float32Array(N * P));
  for (let i = 0; i < N * P; i++) {
    for (let dd = 0; dd < nd; dd++) {
      const gv = g[i * nd + (nd - 1 - dd)];
      let v = align ? ((gv + 1) / 2) * (dims[dd] - 1) : ((gv + 1) * dims[dd] - 1) / 2;
      raw[dd][i] = v;
      let s = 1;
      if (mode === 'nearest') {
        const r = Math.round(v);
        v = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // round half to even
        s = 0;
      }
      if (v < lo[dd] || v > hi[dd]) {
        if (pad === 'border') {
          v = Math.min(Math.max(v, 0), dims[dd] - 1);
          s = 0;
        } else if (pad === 'reflection') {
          const [rv, ds] = reflect(v, lo[dd], hi[dd]);
          v = rv;
          s *= ds;
        }
      }
      coord[dd][i] = v;
      slope[dd][i] = s;
    }
  }
  /** An integer index along dim dd under the padding mode; -1: zero. */
  const indexAt = (i: number, dd: number): number => {
    const d = dims[dd];
    if (i >= 0 && i < d) return i;
    if (pad === 'zeros') return -1;
    if (pad === 'border') return Math.min(Math.max(i, 0), d - 1);
    return Math.trunc(reflect(i, lo[dd], hi[dd])[0]);
  };
  const taps = mode === 'nearest' ? [0] : mode === 'linear' ? [0, 1] : [-1, 0, 1, 2];
  const base = coord.map((c) => Float64Array.from(c, (v) => (mode === 'nearest' ? Math.trunc(v) : Math.floor(v))));
  // per dim: the tap weights as tensors [N, P] of the fractional part t (differentiable in the grid)
  const weights: tf.Tensor[][] = dims.map((d, dd) => {
    if (mode === 'nearest') return [tf.ones([N, P])];
    const gt = tf.reshape(tf.slice(grid, [...grid.shape.map(() => 0).slice(0, -1), nd - 1 - dd], [...grid.shape.slice(0, -1), 1]), [N, P]);
    const rawT = align ? tf.mul(tf.add(gt, 1), (d - 1) / 2) : tf.div(tf.sub(tf.mul(tf.add(gt, 1), d), 1), 2);
    // t = s·(raw − raw_js) + coord − floor: the value from JS, the slope through the tensor
    const frac = Float32Array.from(coord[dd], (v, i) => v - base[dd][i]);
    const t = tf.add(tf.mul(tf.tensor2d(slope[dd], [N, P]), tf.sub(rawT, tf.tensor2d(raw[dd], [N, P]))), tf.tensor2d(frac, [N, P]));
    return mode === 'linear' ? [tf.sub(tf.scalar(1), t), t] : cubicCoeffs(t);
  });
  const xf = tf.reshape(x, [N, C, Q]) as tf.Tensor3D;
  const qStrides = dims.map((_, dd) => dims.slice(dd + 1).reduce((u, v) => u * v, 1));
  let y: tf.Tensor | undefined;
  // every combination of one tap per dim: a constant selection matrix [N, Q, P] times the weights
  const combos: number[][] = [[]];
  for (let dd = 0; dd < nd; dd++) {
    const next: number[][] = [];
    for (const c of combos) for (let k = 0; k < taps.length; k++) next.push([...c, k]);
    combos.splice(0, combos.length, ...next);
  }
  for (const combo of combos) {
    const sel = new Float32Array(N * Q * P);
    for (let n = 0; n < N; n++) {
      for (let p = 0; p < P; p++) {
        const i = n * P + p;
        let q = 0;
        for (let dd = 0; dd < nd && q >= 0; dd++) {
          const ix = indexAt(base[dd][i] + taps[combo[dd]], dd);
          q = ix < 0 ? -1 : q + ix * qStrides[dd];
        }
        if (q >= 0) sel[(n * Q + q) * P + p] = 1;
      }
    }
    const picked = tf.matMul(xf, tf.tensor3d(sel, [N, Q, P])); // [N, C, P]
    const w = combo.reduce<tf.Tensor | undefined>((acc, k, dd) => (acc === undefined ? weights[dd][k] : tf.mul(acc, weights[dd][k])), undefined)!;
    const term = tf.mul(picked, tf.expandDims(w, 1));
    y = y === undefined ? term : tf.add(y, term);
  }
  return [tf.reshape(y!, [N, C, ...outDims])];
}

export const signalMiscOps: Record<string, OpImpl> = {
  HannWindow: windowOp([0.5, 0.5]),
  HammingWindow: windowOp([25 / 46, 21 / 46]),
  BlackmanWindow: windowOp([0.42, 0.5, 0.08]),
  MelWeightMatrix: melWeightMatrix,
  DFT: dft,
  STFT: stft,
  Einsum: einsum,
  CastLike: castLike,
  Det: det,
  GridSample: gridSample,
};
