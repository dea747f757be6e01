/**
 * Pooling over NHWC tensors built from window slices (slice + reshape only, so every backend
 * differentiates the average pool the same way), and a max pool with its own gradient: the
 * gradient goes to the FIRST maximal element of each window (row-major order), on every backend,
 * whatever the sign of the maximum (tfjs' wasm MaxPoolGrad is wrong for negative maxima).
 */
import * as tf from '@tensorflow/tfjs';
import { zeroStuff } from './conv.ts';

export interface PoolOpts {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  ceilMode: boolean;
}

function outLen(n: number, k: number, s: number, d: number, p0: number, p1: number, ceil: boolean): number {
  const span = n + p0 + p1 - ((k - 1) * d + 1);
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // PyTorch/ONNX rule: the last window must start inside the input or the begin padding.
  if (ceil && (o - 1) * s >= n + p0) o--;
  return o;
}

export interface PoolGeom {
  OH: number;
  OW: number;
  /** End padding actually applied (begin pads + extra so that every window slice fits). */
  padBottom: number;
  padRight: number;
}

export function poolGeometry(H: number, W: number, o: PoolOpts): PoolGeom {
  const [KH, KW] = o.kernel;
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  const [pt, pl, pb, pr] = o.pads;
  const OH = outLen(H, KH, sh, dh, pt, pb, o.ceilMode);
  const OW = outLen(W, KW, sw, dw, pl, pr, o.ceilMode);
  // every slice is [start, start + O*s): needs (K-1)*d + O*s rows of padded input
  const needH = (KH - 1) * dh + OH * sh;
  const needW = (KW - 1) * dw + OW * sw;
  return { OH, OW, padBottom: Math.max(0, needH - H - pt), padRight: Math.max(0, needW - W - pl) };
}

/** The KH*KW window slices of a padded input, each [B, OH, OW, C]. */
export function windowSlices(xp: tf.Tensor4D, o: PoolOpts, OH: number, OW: number): tf.Tensor4D[] {
  const [B, , , C] = xp.shape;
  const [KH, KW] = o.kernel;
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  const out: tf.Tensor4D[] = [];
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      let v: tf.Tensor = tf.slice(xp, [0, kh * dh, kw * dw, 0], [B, OH * sh, OW * sw, C]);
      if (sh > 1 || sw > 1) {
        v = tf.reshape(v, [B, OH, sh, OW, sw, C]);
        v = tf.slice(v, [0, 0, 0, 0, 0, 0], [B, OH, 1, OW, 1, C]);
        v = tf.reshape(v, [B, OH, OW, C]);
      }
      out.push(v as tf.Tensor4D);
    }
  }
  return out;
}

function padWith(x: tf.Tensor4D, o: PoolOpts, g: PoolGeom, value: number): tf.Tensor4D {
  const [pt, pl] = o.pads;
  return tf.pad(x, [[0, 0], [pt, g.padBottom], [pl, g.padRight], [0, 0]], value);
}

/**
 * Non-overlapping windows without padding (kernel = stride, the usual 2×2/2 pool): windows become
 * the rows of an [N, K] matrix by reshape/transpose, which is much faster than window slices.
 */
function isTiling(o: PoolOpts, g: PoolGeom, H: number, W: number): boolean {
  const [KH, KW] = o.kernel;
  return (
    o.strides[0] === KH && o.strides[1] === KW && o.dilations[0] === 1 && o.dilations[1] === 1 &&
    o.pads.every((p) => p === 0) && g.OH * KH <= H && g.OW * KW <= W
  );
}

/**
 * [B, H, W, C] → KH·KW tensors [N] (N = B·OH·OW·C): element k (row-major) of every window, by
 * reshape + slice only (5-D transposes are slow on the wasm backend).
 */
function tileElems(x: tf.Tensor4D, o: PoolOpts, g: PoolGeom): tf.Tensor1D[] {
  const [B, H, W, C] = x.shape;
  const [KH, KW] = o.kernel;
  const xc = g.OH * KH === H && g.OW * KW === W ? x : tf.slice(x, [0, 0, 0, 0], [B, g.OH * KH, g.OW * KW, C]);
  const x4 = tf.reshape(xc, [B * g.OH, KH, g.OW, KW * C]);
  const N = B * g.OH * g.OW * C;
  const out: tf.Tensor1D[] = [];
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++) out.push(tf.reshape(tf.slice(x4, [0, kh, 0, kw * C], [B * g.OH, 1, g.OW, C]), [N]) as tf.Tensor1D);
  return out;
}

/** Inverse of tileElems (concatenation), zero-filling any cropped border. */
function untileElems(parts: tf.Tensor1D[], shape: number[], o: PoolOpts, g: PoolGeom): tf.Tensor4D {
  const [B, H, W, C] = shape as [number, number, number, number];
  const [KH, KW] = o.kernel;
  const rowsOut: tf.Tensor[] = [];
  for (let kh = 0; kh < KH; kh++) {
    const cols = [];
    for (let kw = 0; kw < KW; kw++) cols.push(tf.reshape(parts[kh * KW + kw]!, [B * g.OH, 1, g.OW, C]));
    rowsOut.push(cols.length === 1 ? cols[0]! : tf.concat(cols, 3));
  }
  const x4 = rowsOut.length === 1 ? rowsOut[0]! : tf.concat(rowsOut, 1);
  const y = tf.reshape(x4, [B, g.OH * KH, g.OW * KW, C]) as tf.Tensor4D;
  return g.OH * KH === H && g.OW * KW === W ? y : tf.pad(y, [[0, 0], [0, H - g.OH * KH], [0, W - g.OW * KW], [0, 0]]);
}

/**
 * dy routed to the first maximal element of each window. Same-shape comparisons only:
 * broadcasting comparisons are very slow on the wasm backend.
 */
function routeToFirstMax(elems: tf.Tensor1D[], max: tf.Tensor1D, dy: tf.Tensor1D): tf.Tensor1D[] {
  let taken: tf.Tensor = tf.zeros(max.shape, 'bool');
  return elems.map((e) => {
    const eq = tf.equal(e, max);
    const sel = tf.logicalAnd(eq, tf.logicalNot(taken));
    taken = tf.logicalOr(taken, eq);
    return tf.mul(dy, tf.cast(sel, 'float32')) as tf.Tensor1D;
  });
}

/** Max pool with first-index gradient routing. */
export function maxPoolDiff(x: tf.Tensor4D, o: PoolOpts): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const g = poolGeometry(H, W, o);
  if (isTiling(o, g, H, W)) {
    const ft = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
      // value from the native kernel (a max selects an element, so it equals the windows' max exactly)
      const y = tf.maxPool(xi as tf.Tensor4D, o.kernel, o.strides, 'valid');
      save([xi, y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const elems = tileElems(saved[0] as tf.Tensor4D, o, g);
          const m = tf.reshape(saved[1]!, [-1]) as tf.Tensor1D;
          const gr = routeToFirstMax(elems, m, tf.reshape(dy as tf.Tensor, [-1]) as tf.Tensor1D);
          return untileElems(gr, [B, H, W, C], o, g);
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return ft(x) as tf.Tensor4D;
  }
  const f = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    const xx = xi as tf.Tensor4D;
    save([xx]);
    const wins = windowSlices(padWith(xx, o, g, -Infinity), o, g.OH, g.OW);
    let m = wins[0];
    for (let i = 1; i < wins.length; i++) m = tf.maximum(m, wins[i]);
    return {
      value: m,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => maxPoolGrad(saved[0] as tf.Tensor4D, dy as tf.Tensor4D, o, g),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor4D;
}

function maxPoolGrad(x: tf.Tensor4D, dy: tf.Tensor4D, o: PoolOpts, g: PoolGeom): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const xp = padWith(x, o, g, -Infinity);
  const [, Hp, Wp] = xp.shape;
  const wins = windowSlices(xp, o, g.OH, g.OW);
  let m = wins[0];
  for (let i = 1; i < wins.length; i++) m = tf.maximum(m, wins[i]);
  const [KH, KW] = o.kernel;
  const [sh, sw] = o.strides;
  const [dh, dw] = o.dilations;
  let taken = tf.zerosLike(m).cast('bool');
  let acc: tf.Tensor4D = tf.zeros([B, Hp, Wp, C]);
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const eq = tf.equal(wins[kh * KW + kw], m);
      const sel = tf.logicalAnd(eq, tf.logicalNot(taken));
      taken = tf.logicalOr(taken, eq);
      const c = tf.mul(dy, tf.cast(sel, 'float32')) as tf.Tensor4D;
      const st = zeroStuff(c, sh, sw);
      const top = kh * dh;
      const left = kw * dw;
      acc = tf.add(acc, tf.pad(st, [[0, 0], [top, Hp - top - st.shape[1]], [left, Wp - left - st.shape[2]], [0, 0]]));
    }
  }
  const [pt, pl] = o.pads;
  return tf.slice(acc, [0, pt, pl, 0], [B, H, W, C]);
}

/** Average pool; count_include_pad counts begin/end padding but never the ceil-mode overhang. */
export function avgPoolDiff(x: tf.Tensor4D, o: PoolOpts, countIncludePad: boolean): tf.Tensor4D {
  const [, H, W] = x.shape;
  const g = poolGeometry(H, W, o);
  const wins = windowSlices(padWith(x, o, g, 0), o, g.OH, g.OW);
  const sum = wins.length === 1 ? wins[0] : (tf.addN(wins) as tf.Tensor4D);
  const [pt, pl, pb, pr] = o.pads;
  const ones = tf.ones([1, H, W, 1]) as tf.Tensor4D;
  let mask: tf.Tensor4D;
  if (countIncludePad) {
    const withPads = tf.pad(ones, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 1);
    mask = tf.pad(withPads, [[0, 0], [0, g.padBottom - pb > 0 ? g.padBottom - pb : 0], [0, g.padRight - pr > 0 ? g.padRight - pr : 0], [0, 0]]);
    mask = tf.slice(mask, [0, 0, 0, 0], [1, H + pt + g.padBottom, W + pl + g.padRight, 1]);
  } else {
    mask = padWith(ones, o, g, 0);
  }
  const cnt = tf.addN(windowSlices(mask, o, g.OH, g.OW));
  return tf.div(sum, cnt) as tf.Tensor4D;
}
