import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import wavefilePkg from 'wavefile';
import { encodeWav16, parseWav, readWav, writeWav16 } from '../../src/audio/wav.ts';
import { loadUtterance, sliceSeconds } from '../../src/audio/load.ts';
import { AudioError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';

const { WaveFile } = wavefilePkg as unknown as { WaveFile: typeof import('wavefile').WaveFile };

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-wav-'));
}

/** A 440 Hz sine at amplitude 0.5, `n` samples. */
function sine(n: number, rate: number, f = 440, amp = 0.5): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}

const SCALE: Record<string, (v: number) => number> = {
  '8': (v) => Math.round(v * 127 + 128),
  '16': (v) => Math.round(v * 32767),
  '24': (v) => Math.round(v * 8388607),
  '32': (v) => Math.round(v * 2147483647),
  '32f': (v) => v,
  '64': (v) => v,
};
const TOL: Record<string, number> = { '8': 1 / 100, '16': 1e-4, '24': 1e-6, '32': 1e-7, '32f': 1e-7, '64': 1e-7 };

function makeWav(code: string, channels: number[][], rate: number): Uint8Array {
  const w = new WaveFile();
  const data = channels.map((c) => c.map(SCALE[code]));
  w.fromScratch(channels.length, rate, code, channels.length === 1 ? data[0] : data);
  return w.toBuffer();
}

test('reads PCM 8/16/24/32-bit and float 32/64 mono WAVs to [-1, 1]', () => {
  const x = sine(800, 16000);
  for (const code of Object.keys(SCALE)) {
    const wav = parseWav(makeWav(code, [Array.from(x)], 16000), `mem-${code}`);
    assert.equal(wav.sampleRate, 16000);
    assert.equal(wav.channels, 1);
    assert.equal(wav.samples.length, 800);
    assert.equal(wav.bitDepth, code === '32f' ? 32 : code === '64' ? 64 : Number(code));
    assert.equal(wav.format, code === '32f' || code === '64' ? 'float' : 'pcm');
    let err = 0;
    for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs(wav.samples[i] - x[i]));
    assert.ok(err < TOL[code], `${code}: max error ${err}`);
  }
});

test('stereo is averaged to mono and reported', () => {
  const l = Array.from(sine(400, 8000, 300, 0.6));
  const r = l.map((v) => -v / 3);
  const wav = parseWav(makeWav('16', [l, r], 8000), 'stereo.wav');
  assert.equal(wav.channels, 2);
  assert.equal(wav.downmixed, true);
  for (let i = 0; i < 400; i++) assert.ok(Math.abs(wav.samples[i] - (l[i] + r[i]) / 2) < 1e-4);
});

test('writeWav16 round-trips through readWav; encodeWav16 clips and rounds', () => {
  const dir = tmpDir();
  try {
    const x = new Float32Array([0, 0.5, -0.5, 1.5, -2, 1 / 32768]);
    const f = path.join(dir, 'a.wav');
    writeWav16(f, x, 16000);
    const back = readWav(f);
    assert.deepEqual(Array.from(back.samples).map((v) => Math.round(v * 32768)), [0, 16384, -16384, 32767, -32768, 1]);
    assert.equal(back.sampleRate, 16000);
    assert.deepEqual(fs.readdirSync(dir), ['a.wav']); // no temp files left
    assert.equal(encodeWav16(x, 16000).length, 44 + 12);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('empty, truncated, corrupt and unsupported WAVs give AudioError naming utt and file', () => {
  const good = encodeWav16(new Float32Array(1000).fill(0.1), 16000);
  const cases: [string, Uint8Array, RegExp][] = [
    ['empty', new Uint8Array(0), /empty/],
    ['header-only', good.subarray(0, 30), /truncated/],
    ['cut-data', good.subarray(0, 500), /truncated/],
    ['not-riff', new TextEncoder().encode('hello world, this is not a wav file at all....'), /not a RIFF/],
  ];
  const alaw = good.slice();
  alaw[20] = 6; // format tag 6 = A-law
  cases.push(['alaw', alaw, /unsupported WAV encoding/]);
  const dir = tmpDir();
  try {
    for (const [name, bytes, re] of cases) {
      const f = path.join(dir, `${name}.wav`);
      fs.writeFileSync(f, bytes);
      assert.throws(
        () => loadUtterance(f, `utt-${name}`),
        (e: unknown) => e instanceof AudioError && re.test(e.message) && e.message.includes(`utt-${name}`) && e.message.includes(f),
        name,
      );
    }
    assert.throws(() => loadUtterance(path.join(dir, 'missing.wav'), 'u1'), (e: unknown) => e instanceof AudioError && /ENOENT/.test(e.message) && /u1/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fuzz: random bytes, truncations and bit flips of a valid WAV only ever give AudioError', () => {
  const rng = new Rng(1234);
  const x = new Float32Array(300);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i / 7) * 0.4;
  const bases = [encodeWav16(x, 16000), makeWav('24', [Array.from(x), Array.from(x)], 22050), makeWav('32f', [Array.from(x)], 8000)];
  let ok = 0, bad = 0;
  for (let c = 0; c < 2000; c++) {
    const base = bases[c % bases.length];
    let bytes: Uint8Array;
    const kind = c % 4;
    if (kind === 0) bytes = base.subarray(0, rng.int(base.length));
    else if (kind === 1) {
      bytes = base.slice();
      const flips = 1 + rng.int(8);
      for (let k = 0; k < flips; k++) bytes[rng.int(Math.min(bytes.length, 64))] ^= 1 << rng.int(8);
    } else if (kind === 2) {
      bytes = base.slice();
      for (let k = 0; k < 4; k++) bytes[rng.int(bytes.length)] = rng.int(256);
    } else {
      bytes = new Uint8Array(rng.int(200));
      for (let k = 0; k < bytes.length; k++) bytes[k] = rng.int(256);
      if (rng.uniform() < 0.5 && bytes.length >= 12) bytes.set([82, 73, 70, 70, 0, 0, 0, 0, 87, 65, 86, 69]);
    }
    try {
      const w = parseWav(bytes, `fuzz-${c}`, `u${c}`);
      for (const v of w.samples) assert.ok(Number.isFinite(v));
      ok++;
    } catch (e) {
      assert.ok(e instanceof AudioError, `case ${c}: ${(e as Error).name}: ${(e as Error).message}`);
      assert.ok((e as AudioError).message.includes(`u${c}`));
      bad++;
    }
  }
  assert.equal(ok + bad, 2000);
  assert.ok(bad > 500, `expected many rejections, got ${bad}`);
});

test('pipe entries: `cat file |` works, failing commands report the command and stderr', () => {
  const dir = tmpDir();
  try {
    const f = path.join(dir, 'p.wav');
    writeWav16(f, new Float32Array(sine(1600, 16000).map((v) => v)), 16000);
    const r = loadUtterance(`cat ${f} |`, 'pipe1');
    assert.equal(r.samples.length, 1600);
    assert.throws(
      () => loadUtterance('echo oops-from-stderr >&2; false |', 'pipe2'),
      (e: unknown) => e instanceof AudioError && /false/.test(e.message) && /oops-from-stderr/.test(e.message) && /exit status 1/.test(e.message) && /pipe2/.test(e.message),
    );
    assert.throws(() => loadUtterance('true |', 'pipe3'), (e: unknown) => e instanceof AudioError && /no output/.test(e.message) && /'true'/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('loadUtterance resamples (and notes it) and rejects audio shorter than one frame', () => {
  const dir = tmpDir();
  try {
    const f = path.join(dir, 'r.wav');
    fs.writeFileSync(f, makeWav('16', [Array.from(sine(4410, 44100, 1000))], 44100));
    const r = loadUtterance(f, 'rs', { sampleRate: 16000, minSamples: 400 });
    assert.equal(r.sampleRate, 16000);
    assert.equal(r.samples.length, 1600);
    assert.ok(r.notes.some((n) => /44100 Hz → 16000 Hz/.test(n)));
    const s = path.join(dir, 's.wav');
    writeWav16(s, new Float32Array(100), 16000);
    assert.throws(() => loadUtterance(s, 'short', { minSamples: 400 }), (e: unknown) => e instanceof AudioError && /shorter than one frame/.test(e.message) && /short/.test(e.message));
    const st = path.join(dir, 'st.wav');
    fs.writeFileSync(st, makeWav('16', [[0.1, 0.2], [0.3, 0.4]].map((c) => c.concat(Array(500).fill(0))), 16000));
    assert.ok(loadUtterance(st, 'st').notes.some((n) => /downmixed 2 channels/.test(n)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sliceSeconds cuts Kaldi segments', () => {
  const x = new Float32Array(16000).map((_, i) => i);
  const y = sliceSeconds(x, 16000, 0.25, 0.5);
  assert.equal(y.length, 4000);
  assert.equal(y[0], 4000);
  assert.equal(sliceSeconds(x, 16000, 0.9, -1).length, 1600);
  assert.equal(sliceSeconds(x, 16000, 0.9, 5).length, 1600);
});
