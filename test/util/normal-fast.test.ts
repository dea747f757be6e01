import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillNormalZiggurat } from '../../src/util/normal-fast.ts';
import { Rng } from '../../src/util/rng.ts';

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

test('ziggurat normals: moments, tails and the CDF of N(0,1); deterministic per seed', () => {
  const n = 400_000;
  const a = fillNormalZiggurat(new Rng(123), new Float32Array(n));
  const b = fillNormalZiggurat(new Rng(123), new Float32Array(n));
  assert.deepEqual(a.subarray(0, 1000), b.subarray(0, 1000));
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let tail = 0;
  for (const v of a) {
    m1 += v;
    m2 += v * v;
    m3 += v * v * v;
    m4 += v * v * v * v;
    if (Math.abs(v) > 3) tail++;
  }
  m1 /= n;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  assert.ok(Math.abs(m1) < 0.01, `mean ${m1}`);
  assert.ok(Math.abs(m2 - 1) < 0.01, `var ${m2}`);
  assert.ok(Math.abs(m3) < 0.03, `third moment ${m3}`);
  assert.ok(Math.abs(m4 - 3) < 0.06, `fourth moment ${m4}`);
  const pTail = 2 * (1 - phi(3));
  assert.ok(Math.abs(tail / n - pTail) < 0.25 * pTail, `P(|x|>3) ${tail / n} vs ${pTail}`);
  // Kolmogorov–Smirnov distance on a sorted sample (critical value at 1%: 1.63/sqrt(n) ≈ 0.0026).
  const s = Float64Array.from(a).sort();
  let ks = 0;
  for (let i = 0; i < n; i += 7) ks = Math.max(ks, Math.abs((i + 0.5) / n - phi(s[i])));
  assert.ok(ks < 0.0026, `KS ${ks}`);
});
