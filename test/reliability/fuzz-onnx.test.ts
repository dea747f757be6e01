/**
 * Fuzz the ONNX loader: seeded random bytes, truncations and bit flips of a valid small model go
 * through decodeModel, listUnsupportedOps and importModel (tfjs cpu). Only JemdaError subclasses
 * may come out; nothing may hang. (The WAV and ark/scp readers are fuzzed in test/audio/wav.test.ts
 * and test/data/kaldi-io-fuzz.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { decodeModel, encodeModel } from '../../src/model/onnx-io.ts';
import { importModel, listUnsupportedOps } from '../../src/model/importer.ts';
import { buildModel } from '../../src/model/builders/index.ts';
import { defaultFrontEnd } from '../../src/model/builders/common.ts';
import { JemdaError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const CASES = 2000;

function validBytes(): Uint8Array {
  const fe = defaultFrontEnd('BTF', { featDim: 8, numFrames: 6 });
  const m = buildModel('mlp', { hidden: [4] }, fe, ['a', 'b', 'c'], 1);
  return Uint8Array.from(encodeModel(m)); // a copy: Buffer.slice would share memory
}

function mutate(valid: Uint8Array, rng: Rng, c: number): Uint8Array {
  switch (c % 4) {
    case 0: {
      const n = rng.int(256);
      return Uint8Array.from({ length: n }, () => rng.int(256));
    }
    case 1:
      return valid.slice(0, rng.int(valid.length));
    case 2: {
      const b = valid.slice();
      const flips = 1 + rng.int(8);
      for (let k = 0; k < flips; k++) b[rng.int(b.length)] ^= 1 << rng.int(8);
      return b;
    }
    default: {
      const b = valid.slice();
      const at = rng.int(b.length);
      const n = 1 + rng.int(16);
      for (let k = 0; k < n && at + k < b.length; k++) b[at + k] = rng.int(256);
      return b;
    }
  }
}

test(`fuzz: ${CASES} random/truncated/bit-flipped ONNX models give only typed errors`, { timeout: 60_000 }, async () => {
  await tf.setBackend('cpu');
  const valid = validBytes();
  // the unmutated model goes through everything
  const g0 = importModel(decodeModel(valid, 'valid'));
  g0.dispose();
  const rng = new Rng(20261129);
  let decoded = 0, imported = 0, typed = 0;
  for (let c = 0; c < CASES; c++) {
    const bytes = mutate(valid, rng, c);
    try {
      const m = decodeModel(bytes, `fuzz-${c}`);
      decoded++;
      listUnsupportedOps(m);
      const g = importModel(m);
      imported++;
      g.dispose();
    } catch (e) {
      if (!(e instanceof JemdaError)) {
        assert.fail(`case ${c} (kind ${c % 4}, ${bytes.length} bytes): ${(e as Error)?.constructor?.name}: ${(e as Error)?.stack ?? e}`);
      }
      typed++;
    }
  }
  // the fuzzer is not trivially all-error or all-success
  assert.ok(decoded > 100 && typed > 100 && imported > 10, `decoded ${decoded}, imported ${imported}, typed errors ${typed}`);
  assert.ok(tf.memory().numTensors < 50, `tensors leaked: ${tf.memory().numTensors}`);
});
