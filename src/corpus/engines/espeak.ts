/**
 * eSpeak-NG adapter (@echogarden/espeak-ng-emscripten, wasm2js build, voices bundled in
 * espeak-ng.data). API: `await Module()` → m; `new m.eSpeakNGWorker()`; `w.set_voice(name)`;
 * `w.rate`, `w.pitch` setters; `w.synthesize(text, (int16Chunk, events) => false)`; 22050 Hz.
 *
 * Determinism: the C library's rand() state lives in the module's linear memory and advances with
 * every synthesis (and the clock is read through Date.now). We freeze Date.now while the module
 * runs, and restore a snapshot of the whole linear memory (taken after a warm-up synthesis)
 * before every utterance, so each clip depends only on (word, voice) — not on what was
 * synthesized before it, nor on the wall clock.
 */
import { JemdaError } from '../../util/errors.ts';
import type { Engine, EspeakVoice, Synthesized } from './types.ts';

interface EspeakModule {
  HEAPU8: Uint8Array;
  eSpeakNGWorker: new () => EspeakWorker;
}
interface EspeakWorker {
  set_voice(name: string): number;
  rate: number;
  pitch: number;
  readonly samplerate: number;
  synthesize(text: string, cb: (samples: Int16Array, events: unknown[]) => boolean): void;
  list_voices(): { name: string; identifier: string; languages: { name: string; priority: number }[] }[];
}

const FROZEN_NOW = 946684800000; // 2000-01-01T00:00:00Z

function withFrozenClock<T>(fn: () => T): T {
  const real = Date.now;
  Date.now = () => FROZEN_NOW;
  try {
    return fn();
  } finally {
    Date.now = real;
  }
}

export class EspeakEngine implements Engine<EspeakVoice> {
  readonly name = 'espeak' as const;
  private constructor(
    private readonly m: EspeakModule,
    private readonly w: EspeakWorker,
    private readonly snapshot: Uint8Array,
  ) {}

  static async create(): Promise<EspeakEngine> {
    const { default: factory } = (await import('@echogarden/espeak-ng-emscripten' as string)) as unknown as {
      default: () => Promise<EspeakModule>;
    };
    const real = Date.now;
    Date.now = () => FROZEN_NOW;
    let m: EspeakModule;
    try {
      m = await factory();
    } finally {
      Date.now = real;
    }
    const w = withFrozenClock(() => new m.eSpeakNGWorker());
    const probe = new EspeakEngine(m, w, new Uint8Array(0));
    probe.run('en', 175, 50, 'warm up'); // allocates the binding's string cache before the snapshot
    return new EspeakEngine(m, w, m.HEAPU8.slice());
  }

  /** Voice identifiers the build knows (for listing). */
  listVoices(): string[] {
    return this.w.list_voices().map((v) => v.identifier);
  }

  private restore(): void {
    if (this.snapshot.length === 0) return;
    const heap = this.m.HEAPU8;
    heap.set(this.snapshot);
    if (heap.length > this.snapshot.length) heap.fill(0, this.snapshot.length);
  }

  private run(voice: string, rate: number, pitch: number, text: string): Int16Array {
    return withFrozenClock(() => {
      this.restore();
      const rc = this.w.set_voice(voice);
      if (rc !== 0) throw new JemdaError('E_SYNTH', `eSpeak: cannot set voice '${voice}' (code ${rc})`);
      this.w.rate = rate;
      this.w.pitch = pitch;
      const chunks: Int16Array[] = [];
      this.w.synthesize(text, (s) => {
        if (s && s.length) chunks.push(s.slice());
        return false;
      });
      let n = 0;
      for (const c of chunks) n += c.length;
      const out = new Int16Array(n);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    });
  }

  async synthesize(word: string, v: EspeakVoice): Promise<Synthesized> {
    const pcm = this.run(v.voice, Math.round(v.rate), Math.round(v.pitch), word);
    if (pcm.length === 0) throw new JemdaError('E_SYNTH', `eSpeak produced no audio for '${word}' with ${v.voice}`);
    const samples = new Float32Array(pcm.length);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    return { samples, sampleRate: this.w.samplerate };
  }
}
