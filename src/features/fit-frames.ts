/**
 * Bring an utterance to a fixed number of frames T.
 * - 'zero':   keep the first T frames; pad with zero rows at the end.
 * - 'edge':   keep the first T frames; pad by repeating the last frame.
 * - 'center': crop the middle T frames, or pad zeros equally before and after (extra at the end).
 * - 'exact':  no fitting: another length is a RangeError (the caller names the utterance).
 */
import { type Matrix, makeMatrix } from '../data/matrix.ts';

export type PadMode = 'zero' | 'edge' | 'center' | 'exact';

export function fitToFrames(m: Matrix, numFrames: number, padMode: PadMode): Matrix {
  if (!(Number.isInteger(numFrames) && numFrames >= 0)) throw new RangeError(`numFrames must be an integer >= 0, got ${numFrames}`);
  const d = m.cols, n = m.rows;
  if (n === numFrames) return m;
  if (padMode === 'exact') throw new RangeError(`${n} frames where exactly ${numFrames} are expected`);
  const out = new Float32Array(numFrames * d);
  if (padMode === 'center') {
    if (n > numFrames) {
      const start = Math.floor((n - numFrames) / 2);
      out.set(m.data.subarray(start * d, (start + numFrames) * d));
    } else {
      const before = Math.floor((numFrames - n) / 2);
      out.set(m.data, before * d);
    }
    return makeMatrix(numFrames, d, out);
  }
  const keep = Math.min(n, numFrames);
  out.set(m.data.subarray(0, keep * d));
  if (padMode === 'edge' && n > 0) {
    const last = m.data.subarray((n - 1) * d, n * d);
    for (let t = keep; t < numFrames; t++) out.set(last, t * d);
  }
  return makeMatrix(numFrames, d, out);
}
