/**
 * Conv2DBackpropFilter for the wasm backend (tfjs-backend-wasm 4.22 registers none, so every
 * tf.conv2d / fused-conv filter gradient throws there, and so does the input gradient of a fused
 * conv). Built from wasm kernels that exist: the filter gradient of a stride-s conv is a conv with
 * dilation s of the batch-transposed input with the batch-transposed output gradient:
 *   dW[kh,kw,i,o] = Σ_{b,oh,ow} xp[b, oh·s + kh, ow·s + kw, i] · dy[b,oh,ow,o]
 *                 = conv2d(xpᵀ [I,Hp,Wp,B], dyᵀ [OH,OW,B,O], stride 1, dilation s)[i,kh,kw,o].
 * The importer does not need this (kernels/conv.ts has its own gradient); it makes plain tfjs conv
 * code (tf.layers, hand-written models) differentiable on wasm.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Backend = { disposeData(id: object): void };

function call(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>, backend: unknown): Info {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`wasm kernel ${name} is not registered`);
  return k.kernelFunc({ inputs, attrs, backend } as never) as Info;
}

export function registerWasmConv2DBackpropFilter(): boolean {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) return false;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, dy } = inputs as { x: Info; dy: Info };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat && dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): dataFormat ${dataFormat} is not supported`);
      const info = tf.backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filterShape as [number, number, number, number],
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const [KH, KW, I, O] = filterShape;
      const { top, bottom, left, right } = info.padInfo;
      const be = backend as Backend;
      const temps: Info[] = [];
      let xp = x;
      if (top || bottom || left || right) {
        xp = call('PadV2', { x }, { paddings: [[0, 0], [top, bottom], [left, right], [0, 0]], constantValue: 0 }, backend);
        temps.push(xp);
      }
      const xt = call('Transpose', { x: xp }, { perm: [3, 1, 2, 0] }, backend);
      const dyt = call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend);
      temps.push(xt, dyt);
      const g = call('Conv2D', { x: xt, filter: dyt }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined }, backend);
      temps.push(g);
      const gs = call('Slice', { x: g }, { begin: [0, 0, 0, 0], size: [I, KH, KW, O] }, backend);
      temps.push(gs);
      const out = call('Transpose', { x: gs }, { perm: [1, 2, 0, 3] }, backend);
      for (const t of temps) be.disposeData(t.dataId);
      return out;
    },
  });
  return true;
}
