import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EspeakEngine, FliteEngine, GnuSpeechEngine } from '../../src/corpus/engines/index.ts';
import { gnuspeechConfig } from '../../src/corpus/engines/gnuspeech.ts';
import type { Engine, VoiceConfig } from '../../src/corpus/engines/index.ts';
import { encodeWav16 } from '../../src/audio/wav.ts';

const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function checkDeterminism<V extends VoiceConfig>(engine: Engine<V>, voice: V, other: V, rate: number): Promise<Float32Array> {
  const a = await engine.synthesize('yes', voice);
  await engine.synthesize('marvin', other); // state left behind by another call must not matter
  await new Promise((r) => setTimeout(r, 20)); // nor the clock
  const b = await engine.synthesize('yes', voice);
  assert.equal(a.sampleRate, rate);
  assert.ok(a.samples.length > rate * 0.2, `${engine.name}: ${a.samples.length} samples`);
  assert.ok(same(encodeWav16(a.samples, a.sampleRate), encodeWav16(b.samples, b.sampleRate)), `${engine.name}: not byte-identical`);
  let p = 0;
  for (const v of a.samples) p = Math.max(p, Math.abs(v));
  assert.ok(p > 0.05, `${engine.name}: peak ${p}`);
  return a.samples;
}

test('eSpeak-NG is deterministic across calls, voices and time; rate/pitch change the audio', async () => {
  const e = await EspeakEngine.create();
  const a = await checkDeterminism(e, { engine: 'espeak', voice: 'en-us+f2', rate: 170, pitch: 55 }, { engine: 'espeak', voice: 'en-gb-scotland+m3', rate: 200, pitch: 30 }, 22050);
  const slow = await e.synthesize('yes', { engine: 'espeak', voice: 'en-us+f2', rate: 120, pitch: 55 });
  assert.ok(slow.samples.length > a.length * 1.15, 'slower rate → longer audio');
  assert.ok(e.listVoices().includes('gmw/en-US'));
});

test('Flite is deterministic; voices slt rms awb kal16 all synthesize at 16 kHz', async () => {
  const f = await FliteEngine.create();
  await checkDeterminism(f, { engine: 'flite', voice: 'slt', stretch: 1.1 }, { engine: 'flite', voice: 'awb', stretch: 0.9 }, 16000);
  for (const voice of ['rms', 'awb', 'kal16'] as const) {
    const r = await f.synthesize('go', { engine: 'flite', voice, stretch: 1 });
    assert.equal(r.sampleRate, 16000);
    assert.ok(r.samples.length > 3000);
  }
});

test('GnuSpeech is deterministic for a given seed; the seed changes the intonation', async () => {
  const g = await GnuSpeechEngine.create();
  const v = { engine: 'gnuspeech', voice: 'small_child', tempo: 1.1, pitchOffset: -2, seed: 42 } as const;
  const a = await checkDeterminism(g, v, { ...v, voice: 'male', seed: 7 }, 44100);
  const c = await g.synthesize('yes', { ...v, seed: 43 });
  assert.ok(!same(encodeWav16(a, 44100), encodeWav16(c.samples, 44100)), 'different seed, different intonation');
  const cfg = gnuspeechConfig({ engine: 'gnuspeech', voice: 'large_child', tempo: 1.2, pitchOffset: -3, seed: 1 });
  assert.match(cfg, /^voice_name = large_child$/m);
  assert.match(cfg, /^tempo = 1\.200$/m);
  assert.match(cfg, /^pitch_offset = -3\.00$/m);
});
