import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadExamples } from '../../src/engine/examples.ts';
import { parseFrontEnd } from '../../src/model/frontend.ts';
import { makeDataDir, LABELS } from '../adapt/tiny-setup.ts';
import { setQuiet } from '../../src/util/log.ts';

setQuiet(true);
const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');
const FE = path.resolve(import.meta.dirname, '../../recipes/synth_kws/conf/frontend.json');

test('compute-feats --frontend-config: the examples read from its feats.scp equal those computed from the audio by the same front end; no cmvn.scp', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-compute-feats-'));
  try {
    const dir = path.join(root, 'd');
    makeDataDir(dir, 6, { noise: 0.05, gain: 1, seed: 3, labels: true });
    const r = spawnSync(process.execPath, [JEMDA, 'compute-feats', '--frontend-config', FE, '--nj', '2', dir], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dir, 'feats.scp')));
    assert.ok(!fs.existsSync(path.join(dir, 'cmvn.scp')));
    const fe = parseFrontEnd(fs.readFileSync(FE, 'utf8'), FE);
    const fromFeats = await loadExamples(dir, fe, LABELS, {});
    assert.equal(fromFeats.source, 'feats');
    fs.renameSync(path.join(dir, 'feats.scp'), path.join(dir, 'feats.scp.off'));
    const fromWav = await loadExamples(dir, fe, LABELS, {});
    assert.equal(fromWav.source, 'wav');
    assert.equal(fromFeats.inputs.length, 6);
    fromFeats.inputs.forEach((x, i) => {
      let d = 0;
      for (let j = 0; j < x.length; j++) d = Math.max(d, Math.abs(x[j] - fromWav.inputs[i][j]));
      assert.ok(d < 1e-5, `utterance ${i}: max |feats − wav| = ${d}`);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
