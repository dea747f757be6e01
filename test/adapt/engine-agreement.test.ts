/**
 * The two parameter-gradient engines of `jemda adapt` agree on every method: the same
 * model, data, seed and configuration, a few updates on onnxruntime (VJP graphs) and on the tfjs
 * importer, final weights compared tensor by tensor. Both use the onnxruntime SGLD sampler (the
 * CLI's default whatever the engine), so JEM's samples differ only by the engines' rounding.
 * Tolerance: relative L2 error 2e-3 per tensor after 4 updates (float32 kernels of two runtimes;
 * measured: 1e-8 … 2e-5; the errors are printed on failure). One exception: fc1.bias feeds a
 * train-mode BatchNorm, so its true gradient is 0 and each engine returns rounding noise, which
 * Adam turns into steps of up to ±lr of arbitrary sign; it (and bn1.running_mean, which follows
 * it) is held to |difference| ≤ 2.02·lr per update and element instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runTrainer } from '../../src/adapt/trainer.ts';
import type { Method } from '../../src/adapt/config.ts';
import { trainerOptions } from './mlp-fixture.ts';
import { relErr, tmpDir } from './trainer-helpers.ts';

const TOL = 2e-3;
const LR = 1e-2;
const STEPS = 4;
const NOISE = new Set(['fc1.bias', 'bn1.running_mean']);

async function run(method: Method, engine: 'ort' | 'tfjs'): Promise<Map<string, Float32Array>> {
  const expDir = tmpDir(`jemda-agree-${engine}-`);
  const o = await trainerOptions(method, expDir, { steps: STEPS, lr: LR }, { engine });
  try {
    return (await runTrainer(o)).weights;
  } finally {
    await o.engine.dispose();
    fs.rmSync(expDir, { recursive: true, force: true });
  }
}

for (const method of ['adabn', 'tent', 'shot-im', 'pseudo-label', 'tea', 'entropy-ce', 'supervised', 'jem'] as Method[]) {
  test(`engines agree: ${method}, 4 updates, onnxruntime vs tfjs weights within ${TOL} (relative L2 per tensor)`, async () => {
    const a = await run(method, 'ort');
    const b = await run(method, 'tfjs');
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    const errs = [...a].filter(([k]) => !NOISE.has(k)).map(([k, w]) => [k, relErr(w, b.get(k)!)] as const);
    const bad = errs.filter(([, e]) => !(e <= TOL));
    for (const k of NOISE) {
      const d = a.get(k)!.reduce((m, v, i) => Math.max(m, Math.abs(v - b.get(k)![i])), 0);
      assert.ok(d <= 2.02 * LR * STEPS, `${k}: max |difference| ${d}`);
    }
    assert.deepEqual(bad, [], `errors: ${errs.map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ')}`);
  });
}
