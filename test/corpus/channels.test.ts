import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.ts';
import { applyChannel } from '../../src/corpus/render.ts';
import { CHANNELS } from '../../src/corpus/spec.ts';
import { RealFft } from '../../src/audio/fft.ts';
import { energy } from '../../src/audio/effects/noise.ts';

/** Fraction of the energy of x (16 kHz) above `hz`. */
function energyAbove(x: Float32Array, hz: number): number {
  const n = 16384;
  const xs = Float64Array.from(x.subarray(0, n));
  const power = new Float64Array(n / 2 + 1);
  new RealFft(n).powerSpectrum(xs, 0, xs.length, power, 0);
  let hi = 0, all = 0;
  for (let k = 1; k < n / 2; k++) {
    const p = power[k];
    all += p;
    if ((k * 16000) / n > hz) hi += p;
  }
  return hi / all;
}

/** A 0.3-s burst of white noise in the middle of a 1-s, 16-kHz clip. */
function burst(): Float32Array {
  const x = new Float32Array(16000);
  const rng = new Rng(7);
  for (let i = 4000; i < 8800; i++) x[i] = 0.3 * rng.normal();
  return x;
}

test('farfield channel: a long reverberant tail after the burst ends, no added noise before it', () => {
  const x = burst();
  const y = applyChannel(x, 'farfield', new Rng(1));
  assert.equal(y.length, x.length);
  // before the burst the channel adds nothing (no noise); after it the late tail carries energy
  assert.ok(energy(y.subarray(0, 3900)) < 1e-12, 'farfield added energy before the sound');
  const tail = energy(y.subarray(8800 + 3200, 8800 + 6400)); // 200–400 ms after the end
  assert.ok(tail / energy(y) > 0.003, `tail fraction ${tail / energy(y)}`);
  // a mild room (the noisy domain's low end) leaves far less there
  const dry = applyChannel(x, 'farfield', new Rng(1), { ...CHANNELS, farfield: { rt60: [0.2, 0.2], wet: [0.3, 0.3] } });
  assert.ok(energy(dry.subarray(8800 + 3200, 8800 + 6400)) < tail / 10);
});

test('phonenoise channel: band-limited like telephone, with noise over the whole clip', () => {
  const x = burst();
  const y = applyChannel(x, 'phonenoise', new Rng(2));
  assert.equal(y.length, x.length);
  assert.ok(energyAbove(x, 4000) > 0.4);
  assert.ok(energyAbove(y, 4100) < 0.01, `energy above 4.1 kHz: ${energyAbove(y, 4100)}`);
  // noise where the clean clip is silent, at roughly the configured SNR (10–20 dB below the speech)
  const quiet = energy(y.subarray(0, 3900)) / 3900, loud = energy(y.subarray(4000, 8800)) / 4800;
  const snr = 10 * Math.log10(loud / quiet);
  assert.ok(quiet > 0 && snr > 5 && snr < 30, `SNR ${snr.toFixed(1)} dB`);
});
