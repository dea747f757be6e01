/**
 * ITU-T G.711 µ-law companding on 16-bit linear samples (14-bit magnitude path, bias 0x84,
 * code words bit-inverted as on the wire: encode(0) = 0xFF).
 */
const BIAS = 0x84;
/** Upper ends of the 8 segments on the 14-bit magnitude scale (after adding BIAS/4). */
const SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const CLIP14 = 8159;

/** 16-bit linear sample → 8-bit µ-law code word (CCITT G.711 reference algorithm). */
export function mulawEncode(sample: number): number {
  let v = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 2; // 14-bit
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else mask = 0xff;
  if (v > CLIP14) v = CLIP14;
  v += BIAS >> 2;
  let seg = 0;
  while (seg < 8 && v > SEG_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

export function mulawDecode(code: number): number {
  const u = ~code & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const mag = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? 0 - mag : mag; // 0 - 0 is +0
}

/** µ-law encode and decode float samples in [-1, 1] (int16 scale inside). */
export function mulawRoundTrip(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = mulawDecode(mulawEncode(x[i] * 32768)) / 32768;
  return y;
}
