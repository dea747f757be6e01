import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { dctMatrix, lifterCoeffs } from '../../src/features/dct.ts';
import { denseMelBanks, inverseMelScale, makeMelBanks, melScale } from '../../src/features/mel.ts';
import { ConfigError } from '../../src/util/errors.ts';
import { REF_DIR } from './ref-data.ts';

test('mel banks equal Kaldi 23 × 256 (512-point FFT, 16 kHz, 20 Hz .. Nyquist)', () => {
  const ref = JSON.parse(fs.readFileSync(path.join(REF_DIR, 'kaldi_melbanks_23x256.json'), 'utf8')) as {
    shape: [number, number];
    banks: number[][];
    center_freqs: number[][];
  };
  const b = makeMelBanks(23, 512, 16000, 20, 0);
  const dense = denseMelBanks(b);
  assert.deepEqual([dense.length, dense[0].length], ref.shape);
  let e = 0;
  for (let i = 0; i < 23; i++) for (let j = 0; j < 256; j++) e = Math.max(e, Math.abs(dense[i][j] - ref.banks[i][j]));
  assert.ok(e < 1e-5, `max abs diff ${e}`);
  for (let i = 0; i < 23; i++) assert.ok(Math.abs(b.centerFreqs[i] - ref.center_freqs[i][0]) < 1e-3, `centre ${i}`);
});

test('mel scale, high-freq offset from Nyquist, empty bins rejected', () => {
  assert.ok(Math.abs(inverseMelScale(melScale(1234.5)) - 1234.5) < 1e-9);
  const a = denseMelBanks(makeMelBanks(10, 512, 16000, 20, -400));
  const c = denseMelBanks(makeMelBanks(10, 512, 16000, 20, 7600));
  assert.deepEqual(a, c);
  // no weight at or above 7600 Hz (bin 243.2)
  for (const row of a) for (let j = 244; j < 256; j++) assert.equal(row[j], 0);
  assert.throws(() => makeMelBanks(200, 256, 16000, 20, 0), ConfigError);
  assert.throws(() => makeMelBanks(23, 512, 16000, 20, 9000), ConfigError);
});

test('DCT matrix is orthonormal (Kaldi ComputeDctMatrix) and lifter matches Kaldi', () => {
  const n = 23, d = dctMatrix(n, n);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += d[a * n + k] * d[b * n + k];
      assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
    }
  const l = lifterCoeffs(13, 22);
  assert.equal(l[0], 1);
  assert.ok(Math.abs(l[5] - (1 + 11 * Math.sin((Math.PI * 5) / 22))) < 1e-12);
  assert.deepEqual([...lifterCoeffs(3, 0)], [1, 1, 1]);
});
