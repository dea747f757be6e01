import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadExamples } from '../../src/engine/examples.ts';
import { defaultFrontEnd } from '../../src/model/builders/index.ts';
import { frontEndInput } from '../../src/engine/frontend-apply.ts';
import { computeFeatures } from '../../src/features/extract.ts';
import { readWav } from '../../src/audio/wav.ts';
import { openMatrixWriter } from '../../src/data/kaldi-write.ts';
import { MismatchError } from '../../src/util/errors.ts';
import { DEFAULT_WAVE_AUGMENT } from '../../src/audio/wave-augment.ts';
import { makeToneDir, TONE_LABELS } from '../eval/tone-data.ts';

test('data dir → examples: wav and feats.scp agree, nj does not change results, labels checked first', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-ex-'));
  try {
    const dir = path.join(tmp, 'd');
    makeToneDir(dir, 6, 1);
    const fe = defaultFrontEnd('BFT', { featDim: 16, numFrames: 48 });
    const a = await loadExamples(dir, fe, TONE_LABELS);
    assert.equal(a.source, 'wav');
    assert.deepEqual(a.exampleShape, [16, 48]);
    assert.deepEqual(Array.from(a.labels), [0, 1, 2, 0, 1, 2]);
    const first = frontEndInput(fe, readWav(path.join(dir, 'wav', 'u0000.wav')).samples);
    assert.deepEqual(a.inputs[0], first.data);

    const wave = { options: { ...DEFAULT_WAVE_AUGMENT, speeds: [0.9] }, seed: 5 };
    const w1 = await loadExamples(dir, fe, TONE_LABELS, { wave, nj: 1 });
    const w2 = await loadExamples(dir, fe, TONE_LABELS, { wave, nj: 2 });
    assert.equal(w1.extra![0].length, 2);
    assert.deepEqual(w2.inputs, w1.inputs);
    assert.deepEqual(w2.extra, w1.extra);
    assert.notDeepEqual(w1.extra![0][0], w1.inputs[0]);

    // precomputed features in feats.scp give the same inputs
    const w = openMatrixWriter(`ark,scp:${path.join(dir, 'feats.ark')},${path.join(dir, 'feats.scp')}`);
    for (let i = 0; i < 6; i++) {
      const utt = `u000${i}`;
      w.write(utt, computeFeatures('fbank', readWav(path.join(dir, 'wav', `${utt}.wav`)).samples, { ...fe.options, 'sample-frequency': 16000 }));
    }
    w.close();
    const f = await loadExamples(dir, fe, TONE_LABELS);
    assert.equal(f.source, 'feats');
    for (let i = 0; i < 6; i++) for (let k = 0; k < f.inputs[i].length; k++) assert.ok(Math.abs(f.inputs[i][k] - a.inputs[i][k]) < 1e-4);

    // an unknown label fails before any compute; unlabeled loading ignores labels
    fs.appendFileSync(path.join(dir, 'utt2label'), '');
    fs.writeFileSync(path.join(dir, 'utt2label'), fs.readFileSync(path.join(dir, 'utt2label'), 'utf8').replace('u0001 high', 'u0001 zzz'));
    await assert.rejects(loadExamples(dir, fe, TONE_LABELS), (e: Error) => e instanceof MismatchError && /'zzz' \(e\.g\. utterance u0001\)/.test(e.message));
    const u = await loadExamples(dir, fe, TONE_LABELS, { unlabeled: true });
    assert.deepEqual(Array.from(u.labels), [-1, -1, -1, -1, -1, -1]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
