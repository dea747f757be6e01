/**
 * Decoding Kaldi compressed matrices (read-only), as written by Kaldi's `--compress=true`
 * (make_mfcc.sh's default). On disk, after the token (`CM `, `CM2 ` or `CM3 `):
 *   global header: float32 min_value, float32 range, int32 num_rows, int32 num_cols (little endian)
 *   CM  (one byte with column headers): num_cols × {uint16 p0, p25, p75, p100}, then uint8 data
 *       column by column; a byte v maps piecewise-linearly between the column's percentiles:
 *       [0,64] → p0..p25, (64,192] → p25..p75, (192,255] → p75..p100;
 *   CM2 (two bytes): uint16 data row-major, value = min + range · v / 65535;
 *   CM3 (one byte):  uint8 data row-major,  value = min + range · v / 255.
 * Percentiles are uint16 codes mapped as min + range · code / 65535.
 */
export type CompressedFormat = 'CM' | 'CM2' | 'CM3';

export interface CompressedHeader {
  format: CompressedFormat;
  minValue: number;
  range: number;
  rows: number;
  cols: number;
}

export const COMPRESSED_HEADER_BYTES = 16;

/** Bytes after the global header for a compressed matrix of this shape. */
export function compressedPayloadBytes(h: Pick<CompressedHeader, 'format' | 'rows' | 'cols'>): number {
  if (h.format === 'CM') return h.cols * (8 + h.rows);
  if (h.format === 'CM2') return 2 * h.rows * h.cols;
  return h.rows * h.cols;
}

/** Read the 16-byte global header that follows the token. */
export function readCompressedHeader(format: CompressedFormat, b: Uint8Array): CompressedHeader {
  const dv = new DataView(b.buffer, b.byteOffset, COMPRESSED_HEADER_BYTES);
  return {
    format,
    minValue: dv.getFloat32(0, true),
    range: dv.getFloat32(4, true),
    rows: dv.getInt32(8, true),
    cols: dv.getInt32(12, true),
  };
}

function uint16ToFloat(h: CompressedHeader, v: number): number {
  return Math.fround(h.minValue + h.range * Math.fround(1 / 65535) * v);
}

/** Kaldi's piecewise-linear byte → float map between a column's percentiles. */
export function charToFloat(p0: number, p25: number, p75: number, p100: number, v: number): number {
  if (v <= 64) return p0 + (p25 - p0) * v * (1 / 64);
  if (v <= 192) return p25 + (p75 - p25) * (v - 64) * (1 / 128);
  return p75 + (p100 - p75) * (v - 192) * (1 / 63);
}

/** Decode the payload (everything after the global header) into a row-major float32 array. */
export function decompress(h: CompressedHeader, payload: Uint8Array): Float32Array {
  const { rows, cols } = h;
  const out = new Float32Array(rows * cols);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (h.format === 'CM') {
    const dataStart = cols * 8;
    for (let c = 0; c < cols; c++) {
      const p0 = uint16ToFloat(h, dv.getUint16(c * 8, true));
      const p25 = uint16ToFloat(h, dv.getUint16(c * 8 + 2, true));
      const p75 = uint16ToFloat(h, dv.getUint16(c * 8 + 4, true));
      const p100 = uint16ToFloat(h, dv.getUint16(c * 8 + 6, true));
      const base = dataStart + c * rows;
      for (let r = 0; r < rows; r++) out[r * cols + c] = charToFloat(p0, p25, p75, p100, payload[base + r]);
    }
  } else if (h.format === 'CM2') {
    const inc = h.range * (1 / 65535);
    for (let i = 0; i < rows * cols; i++) out[i] = h.minValue + inc * dv.getUint16(2 * i, true);
  } else {
    const inc = h.range * (1 / 255);
    for (let i = 0; i < rows * cols; i++) out[i] = h.minValue + inc * payload[i];
  }
  return out;
}
