/**
 * GnuSpeech adapter (@echogarden/gnuspeech-wasm: Emscripten module with its data in a virtual FS
 * at /data/en). We drive the module directly, as the package's own `synthesize` does: write
 * /data/en/trm_control_model.txt (voice_name, tempo, pitch_offset …), then call
 * `_GnuSpeech_synthesizeToFile(text, outWav, configDir, paramsFile, debug)` with strings on the
 * wasm heap, and read the 44.1 kHz WAV back from the virtual FS.
 *
 * Determinism: GnuSpeech's random intonation draws its seed from std::random_device, which
 * Emscripten serves from crypto.getRandomValues. During each call we replace that function with
 * a generator seeded from the voice config's seed, so random intonation stays on but is
 * reproducible.
 */
import { wrapEmscriptenModuleHeap } from 'wasm-heap-manager';
import { defaultTrmControlModelFileContent } from '@echogarden/gnuspeech-wasm/dist/utilities/DefaultTrmControlModel.js';
import { JemdaError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import { parseWav } from '../../audio/wav.ts';
import type { Engine, GnuSpeechVoice, Synthesized } from './types.ts';

interface GnuModule {
  FS: { writeFile(p: string, d: string): void; readFile(p: string): Uint8Array; unlink(p: string): void };
  _GnuSpeech_synthesizeToFile(text: number, out: number, dir: number, params: number, debug: boolean): void;
}

function withSeededCrypto<T>(seed: number, fn: () => T): T {
  const c = globalThis.crypto as unknown as { getRandomValues: unknown };
  const real = c.getRandomValues;
  const rng = new Rng(seed);
  c.getRandomValues = <V extends ArrayBufferView | null>(view: V): V => {
    if (view) {
      const u = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let i = 0; i < u.length; i++) u[i] = rng.nextU32() & 0xff;
    }
    return view;
  };
  try {
    return fn();
  } finally {
    c.getRandomValues = real;
  }
}

export function gnuspeechConfig(v: GnuSpeechVoice): string {
  let cfg = defaultTrmControlModelFileContent;
  const set = (key: string, value: string) => {
    const re = new RegExp(`^${key} = .*$`, 'm');
    if (!re.test(cfg)) throw new JemdaError('E_SYNTH', `GnuSpeech config has no '${key}' line`);
    cfg = cfg.replace(re, `${key} = ${value}`);
  };
  set('voice_name', v.voice);
  set('tempo', v.tempo.toFixed(3));
  set('pitch_offset', v.pitchOffset.toFixed(2));
  return cfg;
}

export class GnuSpeechEngine implements Engine<GnuSpeechVoice> {
  readonly name = 'gnuspeech' as const;
  private constructor(private readonly m: GnuModule) {}

  static async create(): Promise<GnuSpeechEngine> {
    const { default: init } = (await import('@echogarden/gnuspeech-wasm/wasm/gnuspeech.js' as string)) as {
      default: () => Promise<GnuModule>;
    };
    return new GnuSpeechEngine(await init());
  }

  async synthesize(word: string, v: GnuSpeechVoice): Promise<Synthesized> {
    const m = this.m;
    m.FS.writeFile('/data/en/trm_control_model.txt', gnuspeechConfig(v));
    const heap = wrapEmscriptenModuleHeap(m as never);
    const refs = [word, '/tmp/jemda-out.wav', '/data/en', '/tmp/jemda-params.txt'].map((s) => heap.allocNullTerminatedUtf8String(s));
    let bytes: Uint8Array;
    try {
      withSeededCrypto(v.seed, () => m._GnuSpeech_synthesizeToFile(refs[0].address, refs[1].address, refs[2].address, refs[3].address, false));
      bytes = m.FS.readFile('/tmp/jemda-out.wav').slice();
      m.FS.unlink('/tmp/jemda-out.wav');
      m.FS.unlink('/tmp/jemda-params.txt');
    } catch (e) {
      throw new JemdaError('E_SYNTH', `GnuSpeech failed for '${word}' with voice ${v.voice}: ${(e as Error).message}`, { cause: e });
    } finally {
      for (const r of refs) r.free();
    }
    const wav = parseWav(bytes, `gnuspeech:${v.voice}:${word}`);
    return { samples: wav.samples, sampleRate: wav.sampleRate };
  }
}
