// Parity with torchaudio.compliance.kaldi (../shared/reference/mfcc): every coefficient within 1e-2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeFbank, computeFeatures, computeMfcc } from '../../src/features/extract.ts';
import { loadRef, maxAbsDiff } from './ref-data.ts';

const TOL = 1e-2;

for (const spectrum of ['fft', 'meyda'] as const) {
  for (const utt of ['utt01', 'utt02']) {
    test(`${utt}: kaldi_mfcc, kaldi_mfcc_energy, kaldi_fbank23 within ${TOL} (spectrum ${spectrum})`, () => {
      const ref = loadRef(utt);
      for (const v of Object.values(ref.variants)) assert.equal(v.input_scale, 'int16');
      const common = { 'num-mel-bins': 23, 'energy-floor': 1, dither: 0, spectrum };
      const got = {
        kaldi_mfcc: computeMfcc(ref.samples, common),
        kaldi_mfcc_energy: computeMfcc(ref.samples, { ...common, 'use-energy': true }),
        kaldi_fbank23: computeFbank(ref.samples, common),
      };
      for (const [name, m] of Object.entries(got)) {
        const r = ref.variants[name];
        assert.deepEqual([m.rows, m.cols], r.shape, `${name} shape`);
        const e = maxAbsDiff(m.data, m.cols, r.data);
        assert.ok(e < TOL, `${name}: max abs error ${e}`);
      }
    });
  }
}

test('fbank options: use-energy prepends log-energy; use-log-fbank false gives mel energies', () => {
  const { samples } = loadRef('utt01');
  const x = samples.subarray(0, 16000);
  const base = computeFbank(x, { 'num-mel-bins': 23 });
  const withE = computeFbank(x, { 'num-mel-bins': 23, 'use-energy': true });
  const mfccE = computeMfcc(x, { 'use-energy': true });
  assert.equal(withE.cols, 24);
  for (let t = 0; t < base.rows; t++) {
    assert.equal(withE.data[t * 24], mfccE.data[t * 13]);
    for (let b = 0; b < 23; b++) assert.equal(withE.data[t * 24 + 1 + b], base.data[t * 23 + b]);
  }
  const lin = computeFbank(x, { 'num-mel-bins': 23, 'use-log-fbank': false });
  for (let i = 0; i < lin.data.length; i += 97) assert.ok(Math.abs(Math.log(lin.data[i]) - base.data[i]) < 1e-4);
  const mag = computeFbank(x, { 'num-mel-bins': 23, 'use-power': false });
  assert.ok(mag.data[5] < base.data[5]);
  assert.deepEqual(computeFeatures('fbank', x, { 'num-mel-bins': 23 }).data, base.data);
  // default jemda front end: 40-bin fbank, 98 frames for a 1-s clip
  const d = computeFeatures('fbank', x);
  assert.deepEqual([d.rows, d.cols], [98, 40]);
  assert.deepEqual([computeMfcc(x).rows, computeMfcc(x).cols], [98, 13]);
});
