/** Helpers shared by the trainer tests of both engines (tfjs: trainer.test.ts, onnxruntime: engine-ort.test.ts). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrainer, type TrainerOptions, type TrainerResult } from '../../src/adapt/trainer.ts';

/** A new temporary experiment dir (the caller removes it). */
export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every weight of `a` is in `b`, bit for bit. */
export function sameWeights(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.length !== v.length) return false;
    for (let i = 0; i < v.length; i++) if (v[i] !== w[i]) return false;
  }
  return true;
}

/** The parsed lines of an experiment dir's metrics.jsonl. */
export function readMetrics(dir: string): any[] {
  return fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** Run the trainer and list the weights (of `before`, its starting weights) that it changed. */
export async function runAndDiff(o: TrainerOptions, before: Map<string, Float32Array>): Promise<{ r: TrainerResult; changed: string[] }> {
  const r = await runTrainer(o);
  const changed = [...before].filter(([k, v]) => !sameWeights(new Map([[k, v]]), new Map([[k, r.weights.get(k)!]]))).map(([k]) => k);
  return { r, changed };
}

/** Relative L2 error ‖a − b‖ / ‖b‖ of two weight tensors. */
export function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    s += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(s), 1e-12);
}
