import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fast, makeDataDir, makeTinyModel } from './tiny-setup.ts';
import { loadModel, getMetadata } from '../../src/model/onnx-io.ts';
import { loadFinalWeights } from '../../src/adapt/checkpoint.ts';
import { adapt } from '../../src/adapt/adapt.ts';
import { JemdaError } from '../../src/util/errors.ts';
import { setQuiet } from '../../src/util/log.ts';

setQuiet(true);

const JEMDA = path.resolve('scripts/jemda.mjs');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-adapt-cli-'));
const model = path.join(root, 'model.onnx');
const src = path.join(root, 'src');
const tgt = path.join(root, 'tgt');
makeTinyModel(model);
makeDataDir(src, 24, { noise: 0.01, gain: 1, seed: 1, labels: true });
makeDataDir(tgt, 24, { noise: 0.08, gain: 0.5, seed: 2, labels: true });
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));

function jemda(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [JEMDA, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
  return { status: r.status, stderr: r.stderr };
}

function finalWeights(exp: string): Map<string, Float32Array> {
  return loadFinalWeights(exp);
}

test('adapt --method jem through the CLI writes adapted.onnx with adaptation metadata', () => {
  const exp = path.join(root, 'exp-jem');
  const r = jemda(['adapt', '--method', 'jem', '--model', model, '--source', src, '--target', tgt, '--seed', '3', ...fast(), exp]);
  assert.equal(r.status, 0, r.stderr);
  const m = loadModel(path.join(exp, 'adapted.onnx'));
  const meta = JSON.parse(getMetadata(m)['jemda.adaptation']);
  assert.equal(meta.method, 'jem');
  assert.equal(meta.steps, 12);
  assert.equal(meta.engine, 'ort'); // auto on a CPU tfjs backend
  assert.equal(meta.logits, 'logits');
  assert.match(r.stderr, /parameter engine: onnxruntime/);
  assert.ok(getMetadata(m)['jemda.frontend']);
  const lines = fs.readFileSync(path.join(exp, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 12);
});

test('--engine tfjs: the tfjs importer does the updates, and says so in the log and the metadata', () => {
  const exp = path.join(root, 'exp-tfjs');
  const r = jemda(['adapt', '--method', 'jem', '--engine', 'tfjs', '--model', model, '--source', src, '--target', tgt, '--seed', '3', ...fast({ steps: '2' }), exp]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /parameter engine: tfjs/);
  const meta = JSON.parse(getMetadata(loadModel(path.join(exp, 'adapted.onnx')))['jemda.adaptation']);
  assert.equal(meta.engine, 'tfjs');
  assert.equal(meta.logits, 'logits');
});

test('unsupervised methods never read target labels: garbage or unreadable utt2label changes nothing', async () => {
  const bad = path.join(root, 'tgt-bad');
  fs.cpSync(tgt, bad, { recursive: true });
  fs.writeFileSync(path.join(bad, 'utt2label'), '\u0000garbage with no utterance ids\nutt000\n');
  fs.chmodSync(path.join(bad, 'utt2label'), 0o000);
  fs.writeFileSync(path.join(bad, 'text'), 'not a table\n');
  const config = { steps: 3, batchSize: 8, sgldBatchSize: 8, sgldSteps: 4, sgldStepSize: 0.05, bufferSize: 32, checkpointEvery: 3, lr: 0.003 };
  for (const method of ['jem', 'tent', 'adabn', 'pseudo-label', 'source-only'] as const) {
    const run = (target: string, exp: string) => adapt({ method, modelPath: model, sourceDir: src, targetDir: target, expDir: path.join(root, exp), config, seed: 1, samplerBackend: 'tfjs' });
    const a = await run(tgt, `iso-${method}-good`);
    const b = await run(bad, `iso-${method}-bad`);
    assert.deepEqual(b.result.weights, a.result.weights, `${method}: same weights with garbage target labels`);
  }
  // The oracle does read them, and says which file is wrong.
  await assert.rejects(
    adapt({ method: 'supervised', modelPath: model, targetDir: bad, expDir: path.join(root, 'iso-sup'), config, seed: 1 }),
    (e: unknown) => e instanceof JemdaError && /utt2label/.test((e as Error).message),
  );
});

test('kill -9 at a random step, then --resume, gives the same final weights as an uninterrupted run', async () => {
  // The recipe's JEM settings (label-marginal prior with a running estimate, BN-only energy term,
  // eval-mode BatchNorm, half the chains re-initialised and mixed with target data): all of their
  // state must survive the kill.
  const recipe = ['--marginal-weight', '1', '--marginal-momentum', '0.5', '--ebm-params', 'bn', '--bn-mode', 'eval', '--buffer-mix', '1', '--buffer-mix-steps', '0', '--buffer-reinit', '0.5'];
  const args = ['adapt', '--method', 'jem', '--model', model, '--source', src, '--target', tgt, '--seed', '7', ...recipe, ...fast({ steps: '15', 'checkpoint-every': '2' })];
  const full = path.join(root, 'full');
  assert.equal(jemda([...args, full]).status, 0);
  const killed = path.join(root, 'killed');
  // Kill after a random number (seeded by the clock, logged) of metric lines, 3..12.
  const killAt = 3 + Math.floor(Math.random() * 10);
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [JEMDA, ...args, killed], { stdio: 'ignore', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    const timer = setInterval(() => {
      const f = path.join(killed, 'metrics.jsonl');
      const n = fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"step"')).length : 0;
      if (n >= killAt) {
        child.kill('SIGKILL');
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
  const resumed = jemda([...args, '--resume', killed]);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(finalWeights(killed), finalWeights(full), `kill at ${killAt}: resumed weights equal`);
  const a = loadModel(path.join(full, 'adapted.onnx'));
  const b = loadModel(path.join(killed, 'adapted.onnx'));
  assert.deepEqual(
    b.graph!.initializer!.map((t) => Buffer.from(t.rawData ?? new Uint8Array()).toString('hex') + (t.floatData ?? []).join(',')),
    a.graph!.initializer!.map((t) => Buffer.from(t.rawData ?? new Uint8Array()).toString('hex') + (t.floatData ?? []).join(',')),
  );
});

test('SIGINT writes a checkpoint and exits; --resume finishes', async () => {
  const exp = path.join(root, 'sigint');
  const args = ['adapt', '--method', 'tent', '--model', model, '--source', src, '--target', tgt, ...fast({ steps: '400', 'checkpoint-every': '1000' }), exp];
  const status = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [JEMDA, ...args], { stdio: 'ignore', env: { ...process.env, JEMDA_NO_PROGRESS: '1' } });
    const timer = setInterval(() => {
      const f = path.join(exp, 'metrics.jsonl');
      if (fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('"step":5,')) {
        child.kill('SIGINT');
        clearInterval(timer);
      }
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve(code);
    });
  });
  assert.equal(status, 130);
  const cks = fs.readdirSync(path.join(exp, 'checkpoints')).filter((d) => d !== 'step-0');
  assert.equal(cks.length, 1, `one interrupt checkpoint: ${cks}`);
  assert.ok(!fs.existsSync(path.join(exp, 'adapted.onnx')));
  const r = jemda([...args, '--resume']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(exp, 'adapted.onnx')));
});


test('a repeated option takes its last value (a recipe appends overrides to its defaults)', () => {
  const exp = path.join(root, 'repeated');
  const r = jemda(['adapt', '--method', 'source-only', '--model', model, '--target', tgt, '--steps', '5', '--steps', '0', exp]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(fs.readFileSync(path.join(exp, 'config.json'), 'utf8')).config.steps, 0);
});
