/**
 * The matrix and vector types of Kaldi feature archives (ark) and scripts (scp), whose io is split
 * by concern, byte-compatible with Kaldi:
 * - kaldi-object.ts: parsing one binary or text object from bytes, and a whole archive;
 * - kaldi-read.ts: sequential reading of an rspecifier (`ark:f`, `scp:f`, `ark:-`);
 * - kaldi-scp.ts: scp entries and random access (`file.ark:offset[range]`);
 * - kaldi-write.ts: formatting, encoding and the archive (and scp) writer;
 * - kaldi-specifier.ts: rspecifier and wspecifier parsing.
 */
import { FeatureError } from '../util/errors.ts';
import { firstNonFinite, type Matrix } from './matrix.ts';

/** How a matrix was stored: binary float (FM), double (DM), compressed (CM*), or text. */
export type StoredAs = 'float' | 'double' | 'compressed' | 'text';

/**
 * A matrix read from an archive; `data64` holds the exact values when it was stored as double or
 * as text (e.g. CMVN stats); `stored` says how it was stored.
 */
export interface KaldiMatrix extends Matrix {
  data64?: Float64Array;
  stored?: StoredAs;
}

/** A matrix to write: float32 data, or float64 (written as `DM` unless `double: false`). */
export interface WritableMatrix {
  rows: number;
  cols: number;
  data: Float32Array | Float64Array;
}

export interface KaldiVector {
  data: Float32Array;
  data64?: Float64Array;
}

/** Throw a FeatureError naming the utterance when a matrix holds NaN or Inf. */
export function assertFinite(m: Matrix, utt: string, source: string): void {
  const i = firstNonFinite(m);
  if (i < 0) return;
  const r = Math.floor(i / Math.max(1, m.cols));
  const c = i - r * m.cols;
  throw new FeatureError(source, `features contain ${m.data[i]} at frame ${r}, dim ${c}`, utt);
}
