/** Kaldi's ComputeDctMatrix (orthonormal DCT-II) and ComputeLifterCoeffs. */

/** Row-major [numCeps × numBins]: row 0 = √(1/N); row k = √(2/N)·cos(π/N·(n+½)·k). */
export function dctMatrix(numCeps: number, numBins: number): Float64Array {
  const m = new Float64Array(numCeps * numBins);
  const n0 = Math.sqrt(1 / numBins), nk = Math.sqrt(2 / numBins);
  for (let k = 0; k < numCeps; k++)
    for (let n = 0; n < numBins; n++) m[k * numBins + n] = k === 0 ? n0 : nk * Math.cos((Math.PI / numBins) * (n + 0.5) * k);
  return m;
}

/** Kaldi cepstral lifter: 1 + ½Q·sin(πi/Q); all ones when Q = 0. */
export function lifterCoeffs(numCeps: number, q: number): Float64Array {
  const c = new Float64Array(numCeps);
  for (let i = 0; i < numCeps; i++) c[i] = q === 0 ? 1 : 1 + 0.5 * q * Math.sin((Math.PI * i) / q);
  return c;
}
