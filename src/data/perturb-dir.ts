/**
 * Perturbing a whole Kaldi data dir: every utterance of SRC (a wav.scp entry, or a segment cut
 * from its recording) goes through one seeded channel effect from src/audio/effects and is written
 * as a 16-bit WAV under OUT/wav/<utt>.wav; OUT gets the same utterance ids, utt2spk, utt2label
 * (labels are copied, never changed), utt2domain with a `+<effect>` suffix, and utt2dur measured
 * from the output. Features (feats.scp, cmvn.scp) are not copied: the audio changed.
 *
 * Per-utterance randomness is seeded by hashString(utt) ^ seed, so the output does not depend on
 * nj or on the order of work. OUT is built in a temp dir and swapped in (writeDirAtomic), so a
 * killed run leaves the old OUT (or none) and a re-run writes identical bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDataDir, utterances, writeDataDir, type DataDir } from './datadir.ts';
import { writeDirAtomic } from '../util/atomic.ts';
import { runJobs, splitJobs } from '../util/job-worker.ts';
import { ConfigError, DataError, JemdaError } from '../util/errors.ts';
import { log, warn } from '../util/log.ts';
import { progress } from '../util/progress.ts';
import { hashString, Rng } from '../util/rng.ts';
import { addNoiseAtSnr, type NoiseKind } from '../audio/effects/noise.ts';
import { reverb } from '../audio/effects/reverb.ts';
import { speedPerturb } from '../audio/effects/speed.ts';
import { telephone } from '../audio/effects/telephone.ts';
import { gain } from '../audio/effects/gain.ts';
import { loadUtterance, sliceSeconds } from '../audio/load.ts';
import { encodeWav16 } from '../audio/wav.ts';
import { siblingModule } from '../util/ts-worker.ts';

export const EFFECTS = ['reverse', 'telephone', 'noise', 'reverb', 'speed', 'gain'] as const;
export type EffectName = (typeof EFFECTS)[number];

/** A closed range [lo, hi]; each utterance draws uniformly from it (lo = hi: a fixed value). */
export type Range = [number, number];

export interface EffectOptions {
  effect: EffectName;
  /** noise: SNR range in dB (default [0, 10]). */
  snrDb?: Range;
  /** noise: the noise kinds, one drawn per utterance (default white, pink, babble-like). */
  noiseKinds?: NoiseKind[];
  /** reverb: RT60 range in seconds (default [0.2, 0.6]). */
  rt60?: Range;
  /** reverb: late-tail energy relative to the direct path (default [0.3, 0.8]). */
  wet?: Range;
  /** speed: speed factor range, > 1 is faster (default [1.1, 1.1]). */
  factor?: Range;
  /** gain: gain range in dB (default [-6, -6]). */
  gainDb?: Range;
  /** telephone: ± Hz jitter of the band edges (default 0). */
  edgeJitterHz?: number;
}

export interface PerturbOptions extends EffectOptions {
  src: string;
  out: string;
  seed?: number;
  nj?: number;
  showProgress?: boolean;
}

export interface PerturbResult {
  numUtts: number;
  /** Utterances whose output had samples beyond ±1 (clipped to 16 bits). */
  numClipped: number;
  seconds: number;
}

const DEFAULTS = {
  snrDb: [0, 10] as Range,
  noiseKinds: ['white', 'pink', 'babble-like'] as NoiseKind[],
  rt60: [0.2, 0.6] as Range,
  wet: [0.3, 0.8] as Range,
  factor: [1.1, 1.1] as Range,
  gainDb: [-6, -6] as Range,
};

/** Parse "A" or "A,B" into a range (ConfigError naming the option otherwise). */
export function parseRange(text: string | number, option: string): Range {
  const parts = String(text).split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '') || nums.some((v) => !Number.isFinite(v))) {
    throw new ConfigError(`--${option}: expected a number or 'A,B', got '${text}'`);
  }
  const lo = nums[0], hi = nums[nums.length - 1];
  if (hi < lo) throw new ConfigError(`--${option}: range '${text}' has its upper end below its lower end`);
  return [lo, hi];
}

/** Check effect options up front (a bad value fails before any audio is read). */
export function checkEffectOptions(o: EffectOptions): void {
  if (!(EFFECTS as readonly string[]).includes(o.effect)) {
    throw new ConfigError(`--effect: unknown effect '${o.effect}' (one of ${EFFECTS.join(', ')})`);
  }
  if (o.rt60 && !(o.rt60[0] > 0)) throw new ConfigError(`--rt60: must be > 0, got ${o.rt60.join(',')}`);
  if (o.wet && !(o.wet[0] > 0)) throw new ConfigError(`--wet: must be > 0, got ${o.wet.join(',')}`);
  if (o.factor && !(o.factor[0] > 0)) throw new ConfigError(`--factor: must be > 0, got ${o.factor.join(',')}`);
  if (o.noiseKinds) {
    if (o.noiseKinds.length === 0) throw new ConfigError('--noise-kinds: empty list');
    for (const k of o.noiseKinds) {
      if (!['white', 'pink', 'brown', 'babble-like'].includes(k)) throw new ConfigError(`--noise-kinds: unknown noise kind '${k}'`);
    }
  }
}

/** The per-utterance seed: hashString(utt) ^ seed (unsigned). */
export function uttSeed(utt: string, seed: number): number {
  return (hashString(utt) ^ seed) >>> 0;
}

const draw = (r: Range, rng: Rng) => (r[0] === r[1] ? r[0] : r[0] + (r[1] - r[0]) * rng.uniform());

/** Apply one effect to one utterance's samples (a new array; the input is not modified). */
export function applyEffect(x: Float32Array, rate: number, rng: Rng, o: EffectOptions): Float32Array {
  switch (o.effect) {
    case 'reverse':
      return x.slice().reverse();
    case 'telephone':
      return telephone(x, rate, rng, { edgeJitterHz: o.edgeJitterHz ?? 0 });
    case 'noise': {
      const kinds = o.noiseKinds ?? DEFAULTS.noiseKinds;
      const kind = kinds[kinds.length === 1 ? 0 : rng.int(kinds.length)];
      return addNoiseAtSnr(x, kind, draw(o.snrDb ?? DEFAULTS.snrDb, rng), rng, rate);
    }
    case 'reverb': {
      const rt60 = draw(o.rt60 ?? DEFAULTS.rt60, rng);
      const wet = draw(o.wet ?? DEFAULTS.wet, rng);
      return reverb(x, rate, { rt60, wet, rng });
    }
    case 'speed':
      return speedPerturb(x, draw(o.factor ?? DEFAULTS.factor, rng));
    case 'gain':
      return gain(x, draw(o.gainDb ?? DEFAULTS.gainDb, rng));
  }
}

/** One unit of work: the utterance, its wav.scp entry and, for segments, the cut. */
export interface PerturbItem {
  utt: string;
  entry: string;
  reco?: string;
  start?: number;
  end?: number;
}

export interface PerturbJob {
  items: PerturbItem[];
  /** Where the WAVs go (the temp dir's wav/ folder). */
  wavDir: string;
  seed: number;
  effect: EffectOptions;
}

export interface PerturbJobResult {
  /** [utt, duration in seconds] */
  durations: [string, number][];
  numClipped: number;
}

/** Perturb the items of one job, writing <wavDir>/<utt>.wav; `tick` once per utterance. */
export function runPerturbJob(job: PerturbJob, tick: (n: number) => void = () => {}): PerturbJobResult {
  const durations: [string, number][] = [];
  let numClipped = 0;
  let cache: { entry: string; samples: Float32Array; rate: number } | null = null;
  for (const it of job.items) {
    let samples: Float32Array, rate: number;
    if (it.reco !== undefined) {
      if (!cache || cache.entry !== it.entry) {
        const l = loadUtterance(it.entry, it.reco);
        for (const n of l.notes) warn(n);
        cache = { entry: it.entry, samples: l.samples, rate: l.sampleRate };
      }
      rate = cache.rate;
      samples = sliceSeconds(cache.samples, rate, it.start!, it.end!);
    } else {
      const l = loadUtterance(it.entry, it.utt);
      for (const n of l.notes) warn(n);
      samples = l.samples;
      rate = l.sampleRate;
    }
    const y = applyEffect(samples, rate, new Rng(uttSeed(it.utt, job.seed)), job.effect);
    let clipped = false;
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new JemdaError('E_AUDIO', `utterance ${it.utt} (${it.entry}): effect '${job.effect.effect}' produced a non-finite sample`);
      if (y[i] > 1 || y[i] < -1) clipped = true;
    }
    if (clipped) numClipped++;
    fs.writeFileSync(path.join(job.wavDir, `${it.utt}.wav`), encodeWav16(y, rate));
    durations.push([it.utt, y.length / rate]);
    tick(1);
  }
  return { durations, numClipped };
}

/** The work items of a data dir: its utterances, cut from recordings when it has segments. */
export function perturbItems(d: DataDir): PerturbItem[] {
  return utterances(d).map((utt) => {
    const seg = d.segments?.get(utt);
    if (seg) {
      const entry = d.wavScp.get(seg.reco);
      if (entry === undefined) throw new DataError(path.join(d.dir, 'segments'), undefined, `segment '${utt}': recording '${seg.reco}' is not in wav.scp`);
      return { utt, entry, reco: seg.reco, start: seg.start, end: seg.end };
    }
    const entry = d.wavScp.get(utt);
    if (entry === undefined) throw new DataError(path.join(d.dir, 'wav.scp'), undefined, `utterance '${utt}' has no entry`);
    return { utt, entry };
  });
}

/** The domain tag of a perturbed utterance: `<domain>+<effect>`. */
export function perturbedDomain(domain: string, effect: EffectName): string {
  return `${domain}+${effect}`;
}

/** Write OUT: SRC's utterances through the effect; see the file comment. */
export async function perturbDataDir(opts: PerturbOptions): Promise<PerturbResult> {
  checkEffectOptions(opts);
  const t0 = performance.now();
  const src = path.resolve(opts.src);
  const out = path.resolve(opts.out);
  if (src === out) throw new ConfigError(`perturb-data-dir: SRC and OUT are the same directory (${src})`);
  const d = readDataDir(src);
  if (d.wavScp.size === 0) throw new DataError(path.join(src, 'wav.scp'), undefined, 'missing or empty (perturb-data-dir needs audio)');
  const items = perturbItems(d);
  const seed = (opts.seed ?? 0) >>> 0;
  const effect: EffectOptions = {
    effect: opts.effect, snrDb: opts.snrDb, noiseKinds: opts.noiseKinds, rt60: opts.rt60, wet: opts.wet,
    factor: opts.factor, gainDb: opts.gainDb, edgeJitterHz: opts.edgeJitterHz,
  };
  let numClipped = 0;
  // writeDirAtomic's build callback is synchronous and the worker jobs are not: the WAVs go to a
  // staging dir next to OUT first, which the callback moves into the temp tree before the swap.
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.staging-${process.pid}`);
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, 'wav'), { recursive: true });
  try {
    const nj = Math.max(1, Math.min(opts.nj ?? 1, items.length));
    const jobs: PerturbJob[] = splitJobs(items, nj).map((p) => ({ items: p, wavDir: path.join(staging, 'wav'), seed, effect }));
    const bar = opts.showProgress === false ? null : progress(`perturb-data-dir ${opts.effect}`, items.length);
    const tick = (n: number) => bar?.tick(n);
    let results: PerturbJobResult[];
    try {
      results = await runJobs(jobs, runPerturbJob, siblingModule(import.meta.url, 'perturb-dir-worker'), tick, () => 'perturb worker');
    } finally {
      bar?.stop();
    }
    numClipped = results.reduce((a, r) => a + r.numClipped, 0);
    const utt2dur = new Map<string, number>(results.flatMap((r) => r.durations));
    const wavScp = new Map<string, string>(items.map((it) => [it.utt, path.join(out, 'wav', `${it.utt}.wav`)]));
    const utt2spk = new Map(items.map((it) => [it.utt, d.utt2spk.get(it.utt) ?? it.utt]));
    const utt2domain = d.utt2domain
      ? new Map(items.map((it) => [it.utt, perturbedDomain(d.utt2domain!.get(it.utt) ?? 'unknown', opts.effect)]))
      : undefined;
    writeDirAtomic(out, (tmp) => {
      fs.renameSync(path.join(staging, 'wav'), path.join(tmp, 'wav'));
      writeDataDir(tmp, { dir: tmp, wavScp, utt2spk, spk2utt: new Map(), utt2label: d.utt2label, utt2domain, utt2dur });
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  if (numClipped > 0) warn(`${numClipped} of ${items.length} utterances clipped to 16 bits after '${opts.effect}'`);
  const seconds = (performance.now() - t0) / 1000;
  log(`perturb-data-dir: ${items.length} utterances of ${src} through '${opts.effect}' → ${out} (${seconds.toFixed(1)} s)`);
  return { numUtts: items.length, numClipped, seconds };
}
