/**
 * WAV input/output. Reading goes through the `wavefile` package, guarded so that any malformed
 * input (empty, truncated, corrupt header, unsupported format) becomes an AudioError naming the
 * file (and the utterance when known). Output is 16-bit PCM mono, written atomically.
 */
import * as fs from 'node:fs';
import wavefilePkg from 'wavefile';
import { AudioError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';

const { WaveFile } = wavefilePkg as unknown as { WaveFile: typeof import('wavefile').WaveFile };

export interface WavData {
  /** Mono samples in [-1, 1] (multi-channel input is averaged). */
  samples: Float32Array;
  sampleRate: number;
  /** Channels in the file (before downmix). */
  channels: number;
  /** Bits per sample in the file. */
  bitDepth: number;
  /** 'pcm' or 'float'. */
  format: 'pcm' | 'float';
  /** True when the file had more than one channel and was downmixed. */
  downmixed: boolean;
}

interface FmtChunk {
  audioFormat: number;
  numChannels: number;
  sampleRate: number;
  bitsPerSample: number;
  blockAlign: number;
}

/** Parse WAV bytes. `source` names the file or command for error messages. */
export function parseWav(bytes: Uint8Array, source: string, utt?: string): WavData {
  const fail = (msg: string, cause?: unknown): AudioError => new AudioError(source, msg, utt, cause ? { cause } : undefined);
  if (bytes.length === 0) throw fail('empty WAV (0 bytes)');
  if (bytes.length < 44) throw fail(`truncated WAV: ${bytes.length} bytes, shorter than a RIFF/WAVE header`);
  const tag = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  const wave = String.fromCharCode(bytes[8], bytes[9], bytes[10], bytes[11]);
  if ((tag !== 'RIFF' && tag !== 'RIFX') || wave !== 'WAVE') throw fail(`not a RIFF/WAVE file (starts with ${JSON.stringify(tag)})`);
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes, false);
  } catch (e) {
    throw fail(`corrupt WAV: ${(e as Error).message}`, e);
  }
  const fmt = wav.fmt as unknown as FmtChunk & { chunkId: string };
  const data = wav.data as unknown as { chunkId: string; chunkSize: number };
  if (fmt.chunkId !== 'fmt ') throw fail('corrupt WAV: no fmt chunk');
  if (data.chunkId !== 'data') throw fail('corrupt WAV: no data chunk');
  const audioFormat = fmt.audioFormat === 0xfffe ? extensibleFormat(wav) : fmt.audioFormat;
  const bits = fmt.bitsPerSample;
  const ch = fmt.numChannels;
  const rate = fmt.sampleRate;
  if (!(ch >= 1 && ch <= 32)) throw fail(`corrupt WAV: ${ch} channels`);
  if (!(rate >= 1000 && rate <= 768000)) throw fail(`corrupt WAV: sample rate ${rate} Hz`);
  let format: 'pcm' | 'float';
  if (audioFormat === 1 && [8, 16, 24, 32].includes(bits)) format = 'pcm';
  else if (audioFormat === 3 && (bits === 32 || bits === 64)) format = 'float';
  else throw fail(`unsupported WAV encoding: format tag ${audioFormat}, ${bits} bits (supported: PCM 8/16/24/32, float 32/64)`);
  const frameBytes = (bits / 8) * ch;
  if (fmt.blockAlign !== frameBytes) throw fail(`corrupt WAV: block align ${fmt.blockAlign}, expected ${frameBytes}`);
  const dataStart = findDataStart(bytes, wav.container === 'RIFX');
  if (dataStart < 0) throw fail('corrupt WAV: data chunk not found');
  const available = bytes.length - dataStart;
  if (data.chunkSize > available) {
    throw fail(`truncated WAV: data chunk says ${data.chunkSize} bytes, file has ${available}`);
  }
  if (data.chunkSize % frameBytes !== 0) {
    throw fail(`truncated WAV: data size ${data.chunkSize} is not a multiple of the ${frameBytes}-byte frame`);
  }
  const nFrames = data.chunkSize / frameBytes;
  const samples = decodeFrames(bytes.subarray(dataStart, dataStart + data.chunkSize), nFrames, ch, bits, format, wav.container === 'RIFX');
  for (let i = 0; i < samples.length; i++) {
    if (!Number.isFinite(samples[i])) throw fail(`corrupt WAV: non-finite sample at frame ${i}`);
  }
  return { samples, sampleRate: rate, channels: ch, bitDepth: bits, format, downmixed: ch > 1 };
}

function extensibleFormat(wav: InstanceType<typeof WaveFile>): number {
  const sub = (wav.fmt as unknown as { subformat?: number[] }).subformat;
  return sub && sub.length > 0 ? sub[0] : 0xfffe;
}

/** Byte offset of the data chunk's payload (walking the RIFF chunk list), or -1. */
function findDataStart(bytes: Uint8Array, bigEndian: boolean): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = String.fromCharCode(bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]);
    const size = dv.getUint32(pos + 4, !bigEndian);
    if (id === 'data') return pos + 8;
    pos += 8 + size + (size & 1);
  }
  return -1;
}

/** Decode interleaved frames to mono float in [-1, 1]. */
function decodeFrames(
  raw: Uint8Array,
  nFrames: number,
  ch: number,
  bits: number,
  format: 'pcm' | 'float',
  bigEndian: boolean,
): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = !bigEndian;
  const bps = bits / 8;
  const out = new Float32Array(nFrames);
  const read = (off: number): number => {
    if (format === 'float') return bits === 32 ? dv.getFloat32(off, le) : dv.getFloat64(off, le);
    switch (bits) {
      case 8:
        return (raw[off] - 128) / 128;
      case 16:
        return dv.getInt16(off, le) / 32768;
      case 24: {
        const b0 = raw[off], b1 = raw[off + 1], b2 = raw[off + 2];
        let v = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
        if (v & 0x800000) v -= 0x1000000;
        return v / 8388608;
      }
      default:
        return dv.getInt32(off, le) / 2147483648;
    }
  };
  for (let f = 0; f < nFrames; f++) {
    let acc = 0;
    const base = f * ch * bps;
    for (let c = 0; c < ch; c++) acc += read(base + c * bps);
    out[f] = acc / ch;
  }
  return out;
}

/** Read WAV from a file path or from bytes already in memory. */
export function readWav(input: string | Uint8Array, utt?: string, source = '<bytes>'): WavData {
  if (typeof input !== 'string') return parseWav(input, source, utt);
  const file = input;
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new AudioError(file, `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, utt, { cause: e });
  }
  return parseWav(bytes, file, utt);
}

/** Encode mono float samples as 16-bit PCM WAV bytes (clipped to [-1, 1], rounded). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const n = samples.length;
  const buf = new Uint8Array(44 + n * 2);
  const dv = new DataView(buf.buffer);
  const ascii = (off: number, s: string) => {
    for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  dv.setUint32(4, 36 + n * 2, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  ascii(36, 'data');
  dv.setUint32(40, n * 2, true);
  for (let i = 0; i < n; i++) dv.setInt16(44 + 2 * i, floatToInt16(samples[i]), true);
  return buf;
}

export function floatToInt16(x: number): number {
  const v = Math.round(x * 32768);
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Write mono 16-bit PCM WAV atomically. */
export function writeWav16(file: string, samples: Float32Array, sampleRate: number): void {
  writeFileAtomic(file, encodeWav16(samples, sampleRate));
}
