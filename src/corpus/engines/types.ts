/** Contracts shared by the three synthesizer adapters. */

export interface Synthesized {
  samples: Float32Array;
  sampleRate: number;
}

export interface EspeakVoice {
  engine: 'espeak';
  /** eSpeak voice name with optional variant, e.g. `en-us+f2`. */
  voice: string;
  /** Words per minute (eSpeak default 175). */
  rate: number;
  /** Pitch 0–99 (eSpeak default 50). */
  pitch: number;
}

export interface FliteVoice {
  engine: 'flite';
  voice: 'slt' | 'rms' | 'awb' | 'kal16' | 'kal';
  /** Duration stretch (1 = normal). */
  stretch: number;
  /** Target mean F0 in Hz, or undefined for the voice's own. */
  f0?: number;
}

export interface GnuSpeechVoice {
  engine: 'gnuspeech';
  voice: 'male' | 'female' | 'large_child' | 'small_child' | 'baby';
  tempo: number;
  /** Semitones added to the voice's pitch. */
  pitchOffset: number;
  /** Seed for GnuSpeech's random intonation (its random_device is fed from this). */
  seed: number;
}

export type VoiceConfig = EspeakVoice | FliteVoice | GnuSpeechVoice;

export interface Engine<V extends VoiceConfig = VoiceConfig> {
  readonly name: V['engine'];
  synthesize(word: string, voice: V): Promise<Synthesized>;
}
