/** Rendering one planned utterance to its final 1-s, 16-kHz clip. */
import { Rng } from '../util/rng.ts';
import { addNoiseAtSnr } from '../audio/effects/noise.ts';
import { reverb } from '../audio/effects/reverb.ts';
import { speedPerturb } from '../audio/effects/speed.ts';
import { telephone } from '../audio/effects/telephone.ts';
import { DEFAULT_CLIP, finalLevel, silenceClip, wordClip } from './clip.ts';
import type { Synthesizers } from './engines/index.ts';
import type { Channel, UttJob } from './plan.ts';
import { CHANNELS, CLIP_SAMPLES, SAMPLE_RATE, SILENCE_LEVEL_DB, type ChannelSpec } from './spec.ts';

const lerp = (r: [number, number], u: number) => r[0] + (r[1] - r[0]) * u;

export function applyChannel(x: Float32Array, channel: Channel, rng: Rng, spec: ChannelSpec = CHANNELS): Float32Array {
  switch (channel) {
    case 'clean':
      return x;
    case 'telephone':
      return telephone(x, SAMPLE_RATE, rng, spec.telephone);
    case 'noisy': {
      const n = spec.noisy;
      const rt60 = lerp(n.rt60, rng.uniform());
      const wet = lerp(n.wet, rng.uniform());
      const rev = reverb(x, SAMPLE_RATE, { rt60, rng, wet });
      const kind = n.noises[rng.int(n.noises.length)];
      return addNoiseAtSnr(rev, kind, lerp(n.snrDb, rng.uniform()), rng, SAMPLE_RATE);
    }
    case 'farfield': {
      const f = spec.farfield;
      const rt60 = lerp(f.rt60, rng.uniform());
      return reverb(x, SAMPLE_RATE, { rt60, rng, wet: lerp(f.wet, rng.uniform()) });
    }
    case 'phonenoise': {
      const p = spec.phonenoise;
      // background noise at the talker's end, then the telephone channel
      const kind = p.noises[rng.int(p.noises.length)];
      const noisy = addNoiseAtSnr(x, kind, lerp(p.snrDb, rng.uniform()), rng, SAMPLE_RATE);
      return telephone(noisy, SAMPLE_RATE, rng, p);
    }
  }
}

export async function renderUtt(job: UttJob, synth: Synthesizers, spec: ChannelSpec = CHANNELS): Promise<Float32Array> {
  const rng = new Rng(job.seed);
  if (!job.voice) {
    const clip = silenceClip(rng, CLIP_SAMPLES, lerp(SILENCE_LEVEL_DB, rng.uniform()));
    return applyChannel(clip, job.channel, rng, spec);
  }
  const { samples, sampleRate } = await synth.synthesize(job.word, job.voice);
  const clip = wordClip(job.speed ? speedPerturb(samples, job.speed) : samples, sampleRate, rng, DEFAULT_CLIP);
  return finalLevel(applyChannel(clip, job.channel, rng, spec), rng, DEFAULT_CLIP.peakDb);
}
