/**
 * Data parallelism for onnxruntime on CPU: N worker threads (./ort-worker.ts), each with the model's
 * graphs on ONE onnxruntime thread, and a batch split into N row blocks that run at the same time.
 *
 * Why: on the 2-core machines measured (README "Speed"), onnxruntime's intra-op threads gain
 * little on these small graphs (a KWS-CNN ∂E/∂x run at batch 32: 17.5–18.9 ms on 2 threads vs
 * 17.6–21 ms on 1), and two `session.run` calls in one process do not overlap; two workers with a
 * 1-thread session each on 16 rows took 9.9–17 ms for the same 32 rows. Only computations whose rows
 * are independent may be split: eval-mode BatchNorm (running statistics). A VJP over a batch is the
 * sum of the VJPs over its row blocks, and logits, energies and ∂E/∂x are per row.
 *
 * The pool keeps the latest weights and sends each worker the ones that changed before its next
 * call. Row blocks are fixed by the batch size and the worker count, so a run is reproducible for a
 * given --workers; across worker counts parameter gradients agree to float32 rounding (summation
 * order).
 */
import * as os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { onnx, type ModelProto } from '../model/onnx-io.ts';
import type { CallOptions } from '../model/types.ts';
import type { VjpOrtOptions } from '../model/vjp-ort.ts';
import { fromWorkerError, siblingModule, startTsWorker, type WorkerError } from '../util/ts-worker.ts';

export interface WorkerInit {
  modelBytes: Uint8Array;
  /** Open the VJP engine (eval-mode BatchNorm, 1 thread) with these options. */
  vjp?: Omit<VjpOrtOptions, 'threads' | 'bnMode'>;
  /** Open the ∂E/∂x graph (eval mode, 1 thread) with these options. */
  energy?: { logitsName: string; exampleShape: number[] };
}

export type WorkerRequest =
  | { op: 'weights'; w: Map<string, Float32Array> }
  | { op: 'forward'; id: number; x: Float32Array; batch: number; opts?: CallOptions }
  | { op: 'vjp'; id: number; x: Float32Array; batch: number; gLogits: Float32Array; opts?: CallOptions }
  | { op: 'vjpSoftmax'; id: number; x: Float32Array; batch: number; coef: Float32Array; target: Float32Array; opts?: CallOptions }
  | { op: 'energy'; id: number; x: Float32Array; batch: number }
  | { op: 'close'; id: number };

/** A call without its id (the pool numbers them). */
export type WorkerCall = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  /** Names whose latest value this worker has not been sent yet. */
  stale: Set<string>;
  failed: Error | null;
}

/**
 * The default worker count: --threads when given (1 = no workers), else the machine's cores, at
 * most 4 (more rarely pays on batches of 32–64 rows).
 */
export function defaultWorkers(threads: number | undefined): number {
  if (threads !== undefined) return threads;
  return Math.min(4, os.availableParallelism());
}

/** Row counts of `n` blocks of a batch of `batch` rows (sizes differ by at most one; none empty). */
export function rowBlocks(batch: number, n: number): number[] {
  const k = Math.max(1, Math.min(n, batch));
  const base = Math.floor(batch / k);
  const extra = batch % k;
  return Array.from({ length: k }, (_, i) => base + (i < extra ? 1 : 0));
}

export class OrtWorkerPool {
  private nextId = 1;
  private weights = new Map<string, Float32Array>();
  private closed = false;

  private constructor(private readonly slots: Slot[]) {}

  get size(): number {
    return this.slots.length;
  }

  /** Start `n` workers on the model and wait until each has opened its graphs. */
  static async create(model: ModelProto, n: number, spec: Omit<WorkerInit, 'modelBytes'>): Promise<OrtWorkerPool> {
    const modelBytes = onnx.ModelProto.encode(model).finish();
    const url = siblingModule(import.meta.url, 'ort-worker');
    const slots: Slot[] = [];
    const opened: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const worker = startTsWorker(url, { ...spec, modelBytes } satisfies WorkerInit);
      const slot: Slot = { worker, pending: new Map(), stale: new Set(), failed: null };
      opened.push(new Promise((resolve, reject) => slot.pending.set(0, { resolve, reject })));
      worker.on('message', (m: { id: number; ok?: unknown; error?: WorkerError }) => {
        if (m.id === -1 && m.error) return failSlot(slot, fromWorkerError(m.error));
        const p = slot.pending.get(m.id);
        if (!p) return;
        slot.pending.delete(m.id);
        if (m.error) p.reject(fromWorkerError(m.error));
        else p.resolve(m.ok);
      });
      worker.on('error', (e) => failSlot(slot, e));
      worker.on('exit', (code) => failSlot(slot, new Error(`ort worker ${i} exited (code ${code})`)));
      slots.push(slot);
    }
    const pool = new OrtWorkerPool(slots);
    try {
      await Promise.all(opened);
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    return pool;
  }

  /** Make these weights current for every later call (some or all; copied when sent). */
  setWeights(w: Map<string, Float32Array>): void {
    for (const [n, a] of w) {
      this.weights.set(n, a);
      for (const s of this.slots) s.stale.add(n);
    }
  }

  /**
   * Run one call on worker `i` (after sending it the weights it has not seen). The arrays of the
   * call are moved to the worker, not copied: the caller passes arrays of its own (row-block copies)
   * and must not use them afterwards.
   */
  call<T>(i: number, req: WorkerCall): Promise<T> {
    const s = this.slots[i];
    if (this.closed) return Promise.reject(new Error('ort worker pool is closed'));
    if (s.failed) return Promise.reject(s.failed);
    if (s.stale.size > 0) {
      const w = new Map([...s.stale].map((n) => [n, this.weights.get(n)!.slice()]));
      s.stale.clear();
      s.worker.postMessage({ op: 'weights', w } satisfies WorkerRequest, buffersOf(...w.values()));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      s.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      s.worker.postMessage({ ...req, id } as WorkerRequest, buffersOf(...Object.values(req)));
    });
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        if (!s.failed) {
          const id = this.nextId++;
          const done = new Promise((resolve) => s.pending.set(id, { resolve, reject: resolve }));
          s.worker.postMessage({ op: 'close', id } satisfies WorkerRequest);
          await Promise.race([done, new Promise((r) => setTimeout(r, 2000).unref())]);
        }
        await s.worker.terminate();
      }),
    );
  }
}

/**
 * The distinct ArrayBuffers behind the whole-buffer Float32Arrays among `values`, to move with a
 * postMessage instead of copying (a structured clone copies each array, and a subarray would drag
 * its whole buffer along, so views into a larger buffer are left to be copied).
 */
export function buffersOf(...values: unknown[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of values) {
    if (v instanceof Float32Array && v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
  }
  return [...out];
}

function failSlot(slot: Slot, e: Error): void {
  slot.failed ??= e;
  for (const p of slot.pending.values()) p.reject(e);
  slot.pending.clear();
}
