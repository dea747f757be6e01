import { EspeakEngine } from './espeak.ts';
import { FliteEngine } from './flite.ts';
import { GnuSpeechEngine } from './gnuspeech.ts';
import type { Synthesized, VoiceConfig } from './types.ts';

export type { Synthesized, VoiceConfig, EspeakVoice, FliteVoice, GnuSpeechVoice, Engine } from './types.ts';
export { EspeakEngine, FliteEngine, GnuSpeechEngine };

/** Lazily created engines, one of each per thread. */
export class Synthesizers {
  private espeak?: Promise<EspeakEngine>;
  private flite?: Promise<FliteEngine>;
  private gnu?: Promise<GnuSpeechEngine>;

  async synthesize(word: string, v: VoiceConfig): Promise<Synthesized> {
    switch (v.engine) {
      case 'espeak':
        return (await (this.espeak ??= EspeakEngine.create())).synthesize(word, v);
      case 'flite':
        return (await (this.flite ??= FliteEngine.create())).synthesize(word, v);
      case 'gnuspeech':
        return (await (this.gnu ??= GnuSpeechEngine.create())).synthesize(word, v);
    }
  }
}
