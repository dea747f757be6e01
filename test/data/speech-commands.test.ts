import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import wavefile from 'wavefile';
import { readDataDir, utterances } from '../../src/data/datadir.ts';
import { prepareSpeechCommands, SPEECH_COMMANDS_LABELS, mapLabel } from '../../src/data/speech-commands.ts';
import { validateDataDir, formatProblems } from '../../src/data/validate.ts';
import { DataError } from '../../src/util/errors.ts';
import { rm, tempDir } from './helpers.ts';

const { WaveFile } = wavefile;

function writeWav(file: string, rate: number, channels: Int16Array[]): void {
  const w = new WaveFile();
  w.fromScratch(channels.length, rate, '16', channels.length === 1 ? channels[0] : channels);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, w.toBuffer());
}

function tone(n: number, seed: number): Int16Array {
  const a = new Int16Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.round(8000 * Math.sin((i * (seed + 1)) / 7));
  return a;
}

/** A tiny Speech Commands v2 tree: 4 words, 3 speakers, lists, two background-noise files. */
function makeFixture(root: string): { noise: Int16Array } {
  const files: Record<string, string[]> = {
    yes: ['0a1b2c3d_nohash_0.wav', '0a1b2c3d_nohash_1.wav', 'ffee0011_nohash_0.wav'],
    no: ['0a1b2c3d_nohash_0.wav', '12345678_nohash_0.wav'],
    bed: ['ffee0011_nohash_0.wav'],
    happy: ['12345678_nohash_2.wav'],
  };
  let k = 0;
  for (const [word, list] of Object.entries(files)) for (const f of list) writeWav(path.join(root, word, f), 16000, [tone(1600, k++)]);
  fs.writeFileSync(path.join(root, 'validation_list.txt'), 'yes/ffee0011_nohash_0.wav\nbed/ffee0011_nohash_0.wav\n');
  fs.writeFileSync(path.join(root, 'testing_list.txt'), 'no/12345678_nohash_0.wav\nhappy/12345678_nohash_2.wav\n');
  const noise = tone(16000 * 3 + 5000, 99);
  writeWav(path.join(root, '_background_noise_', 'white_noise.wav'), 16000, [noise]);
  // stereo 8 kHz, 2.5 s: resampled to 16 kHz and downmixed → 2 clips
  writeWav(path.join(root, '_background_noise_', 'running tap.wav'), 8000, [tone(20000, 3), tone(20000, 4)]);
  fs.writeFileSync(path.join(root, '_background_noise_', 'README.md'), 'noise\n');
  return { noise };
}

test('12-class mapping', () => {
  assert.equal(mapLabel('yes'), 'yes');
  assert.equal(mapLabel('go'), 'go');
  assert.equal(mapLabel('marvin'), '_unknown_');
  assert.deepEqual(SPEECH_COMMANDS_LABELS, ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go', '_unknown_', '_silence_']);
});

test('prepareSpeechCommands on a tiny fixture: splits, labels, speakers, silence clips', () => {
  const tmp = tempDir('jemda-sc-');
  try {
    const root = path.join(tmp, 'sc');
    const out = path.join(tmp, 'out');
    const { noise } = makeFixture(root);
    const summary = prepareSpeechCommands(root, out);
    assert.equal(summary.silenceClips, 3 + 2);
    const dirs = { train: readDataDir(path.join(out, 'train')), dev: readDataDir(path.join(out, 'dev')), test: readDataDir(path.join(out, 'test')) };
    for (const [name, d] of Object.entries(dirs)) {
      const probs = validateDataDir(d.dir, { labelSet: SPEECH_COMMANDS_LABELS });
      assert.deepEqual(probs, [], `${name}: ${formatProblems(probs)}`);
    }
    const words = (d: (typeof dirs)['train']) =>
      utterances(d)
        .filter((u) => !u.startsWith('bg_'))
        .map((u) => `${path.relative(root, d.wavScp.get(u)!)}=${d.utt2label!.get(u)}@${d.utt2spk.get(u)}`)
        .sort();
    assert.deepEqual(words(dirs.dev), ['bed/ffee0011_nohash_0.wav=_unknown_@ffee0011', 'yes/ffee0011_nohash_0.wav=yes@ffee0011']);
    assert.deepEqual(words(dirs.test), ['happy/12345678_nohash_2.wav=_unknown_@12345678', 'no/12345678_nohash_0.wav=no@12345678']);
    assert.deepEqual(words(dirs.train), [
      'no/0a1b2c3d_nohash_0.wav=no@0a1b2c3d',
      'yes/0a1b2c3d_nohash_0.wav=yes@0a1b2c3d',
      'yes/0a1b2c3d_nohash_1.wav=yes@0a1b2c3d',
    ]);
    // utterance ids start with the speaker and do not spell out the word
    for (const d of Object.values(dirs)) for (const u of utterances(d)) {
      assert.ok(u.startsWith(d.utt2spk.get(u)! + '-'), u);
      assert.ok(!/yes|no|bed|happy/.test(u.replace(/^bg_[^-]*/, '')), u);
    }
    // silence clips: 5 in total across splits, 1-s 16-bit 16 kHz WAVs; the mono ones are exact slices
    const silence = Object.values(dirs).flatMap((d) => utterances(d).filter((u) => d.utt2label!.get(u) === '_silence_').map((u) => [u, d.wavScp.get(u)!]));
    assert.equal(silence.length, 5);
    for (const [u, file] of silence) {
      assert.ok(file.startsWith(path.join(out, 'silence_clips')), file);
      const w = new WaveFile(fs.readFileSync(file));
      const fmt = w.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
      assert.deepEqual([fmt.sampleRate, fmt.numChannels, fmt.bitsPerSample], [16000, 1, 16]);
      const s = w.getSamples(false, Int16Array) as unknown as Int16Array;
      assert.equal(s.length, 16000);
      const m = /^bg_white_noise-(\d{4})$/.exec(u);
      if (m) assert.deepEqual(s, noise.slice(Number(m[1]) * 16000, (Number(m[1]) + 1) * 16000));
      else assert.match(u, /^bg_running_tap-000[01]$/);
    }
    // deterministic: a second run gives identical data dirs
    const out2 = path.join(tmp, 'out2');
    prepareSpeechCommands(root, out2);
    for (const s of ['train', 'dev', 'test']) {
      for (const f of ['utt2spk', 'utt2label', 'spk2utt']) {
        assert.equal(fs.readFileSync(path.join(out2, s, f), 'utf8'), fs.readFileSync(path.join(out, s, f), 'utf8'));
      }
    }
    // limit on silence clips
    assert.equal(prepareSpeechCommands(root, path.join(tmp, 'out3'), { maxSilenceClipsPerFile: 1 }).silenceClips, 2);
  } finally {
    rm(tmp);
  }
});

test('prepareSpeechCommands: bad layouts are DataErrors naming the file', () => {
  const tmp = tempDir('jemda-sc-');
  try {
    const root = path.join(tmp, 'sc');
    fs.mkdirSync(path.join(root, 'yes'), { recursive: true });
    assert.throws(() => prepareSpeechCommands(root, path.join(tmp, 'o')), /validation_list\.txt: missing/);
    fs.writeFileSync(path.join(root, 'validation_list.txt'), '');
    fs.writeFileSync(path.join(root, 'testing_list.txt'), '');
    fs.writeFileSync(path.join(root, 'yes', 'weird.wav'), '');
    assert.throws(() => prepareSpeechCommands(root, path.join(tmp, 'o')), (e: unknown) => e instanceof DataError && e.message.includes('yes/weird.wav'));
  } finally {
    rm(tmp);
  }
});
