/**
 * One worker thread of an OrtWorkerPool (./ort-workers.ts): the model's onnxruntime VJP engine and
 * (optionally) its ∂E/∂x graph, each on ONE onnxruntime thread, answering the pool's calls on its
 * share of a batch. Weights arrive as messages before the call that needs them (message order is
 * kept), so every call runs on the weights the parent had when it made the call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { onnx } from '../model/onnx-io.ts';
import { EnergyGradOrt } from '../model/energy-grad-ort.ts';
import { VjpOrt } from '../model/vjp-ort.ts';
import { toWorkerError } from '../util/ts-worker.ts';
import { buffersOf, type WorkerInit, type WorkerRequest } from './ort-workers.ts';

const init = workerData as WorkerInit;
const port = parentPort!;

async function open(): Promise<{ vjp: VjpOrt | null; energy: EnergyGradOrt | null }> {
  const proto = onnx.ModelProto.decode(init.modelBytes);
  const [vjp, energy] = await Promise.all([
    init.vjp ? VjpOrt.create(proto, { ...init.vjp, bnMode: 'eval', threads: 1 }) : null,
    init.energy ? EnergyGradOrt.create(proto, { ...init.energy, threads: 1 }) : null,
  ]);
  return { vjp, energy };
}

const ready = open();
ready.then(
  () => port.postMessage({ id: 0, ok: true }),
  (e) => port.postMessage({ id: 0, error: toWorkerError(e) }),
);

port.on('message', (m: WorkerRequest) => {
  void (async () => {
    try {
      const { vjp, energy } = await ready;
      const need = <T>(v: T | null, what: string): T => {
        if (!v) throw new Error(`ort worker: no ${what} engine was opened`);
        return v;
      };
      switch (m.op) {
        case 'weights':
          vjp?.setWeights(m.w);
          energy?.setWeights(m.w);
          return;
        case 'forward':
          port.postMessage({ id: m.id, ok: await need(vjp, 'VJP').forward(m.x, m.batch, m.opts) });
          return;
        case 'vjp':
          port.postMessage({ id: m.id, ok: await need(vjp, 'VJP').vjp(m.x, m.batch, m.gLogits, m.opts) });
          return;
        case 'vjpSoftmax':
          port.postMessage({ id: m.id, ok: await need(vjp, 'VJP').vjpSoftmax(m.x, m.batch, m.coef, m.target, m.opts) });
          return;
        case 'energy': {
          // energy and grad are arrays of this call's own: moved back, not copied
          const r = await need(energy, '∂E/∂x').energyAndGrad(m.x, m.batch);
          port.postMessage({ id: m.id, ok: r }, buffersOf(r.energy, r.grad));
          return;
        }
        case 'close':
          await vjp?.dispose();
          await energy?.dispose();
          port.postMessage({ id: m.id, ok: true });
          port.close();
          return;
      }
    } catch (e) {
      port.postMessage({ id: 'id' in m ? m.id : -1, error: toWorkerError(e) });
    }
  })();
});
