/**
 * `jemda model-info`: per op type, forward and gradient on onnxruntime and on tfjs, every
 * unsupported node named, and the front end the model needs; --json for scripts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GraphBuilder } from '../../src/model/builders/graph.ts';
import { defaultFrontEnd } from '../../src/model/builders/common.ts';
import { saveModel, type ModelProto } from '../../src/model/onnx-io.ts';
import { describeFrontEnd, opSupport, ortSessionError } from '../../src/model/op-support.ts';
import { parseFrontEnd } from '../../src/model/frontend.ts';
import { Rng } from '../../src/util/rng.ts';

const JEMDA = path.resolve(import.meta.dirname, '../../scripts/jemda.mjs');

/** input [B, 4] → HardSigmoid → Sign → Mul(input) → Gemm → logits; optionally a node of a custom domain. */
function model(custom: boolean): ModelProto {
  const g = new GraphBuilder(new Rng(1));
  const h = g.node('HardSigmoid', ['input'], 'hs');
  const s = g.node('Sign', [h], 'sgn');
  let x = g.node('Mul', [s, 'input'], 'gate');
  if (custom) {
    x = g.node('Foo', [x], 'foo');
    g.nodes[g.nodes.length - 1].domain = 'com.example';
  }
  g.gemm(x, 4, 3, 'fc');
  g.renameLastOutput('logits');
  return g.finish({ graphName: 't', input: { name: 'input', dims: ['batch', 4] }, output: { name: 'logits', dims: ['batch', 3] }, frontEnd: { ...defaultFrontEnd('BTF'), numFrames: 1, featDim: 4 }, labels: ['a', 'b', 'c'] });
}

test('op support: forward and gradient per op type on both paths; unsupported nodes named', async () => {
  const r = opSupport(model(false), await ortSessionError(model(false)));
  assert.equal(r.ortError, null);
  const by = Object.fromEntries(r.ops.map((o) => [o.opType, o]));
  assert.deepEqual(
    { ...by.HardSigmoid, nodes: by.HardSigmoid.nodes },
    { opType: 'HardSigmoid', count: 1, nodes: ['hs'], ortForward: true, ortGradient: 'no', tfjsForward: true, tfjsGradient: 'yes' },
  );
  assert.equal(by.Sign.ortGradient, 'not differentiable');
  assert.deepEqual([by.Sign.tfjsForward, by.Sign.tfjsGradient], [true, 'not differentiable']);
  assert.deepEqual([by.Gemm.ortForward, by.Gemm.ortGradient, by.Gemm.tfjsForward, by.Gemm.tfjsGradient], [true, 'yes', true, 'yes']);
  assert.deepEqual(r.unsupportedNodes, [
    'hs (HardSigmoid): no gradient rule for the onnxruntime VJP graph',
  ]);
  // a node onnxruntime has no kernel for: its session error names it, and so does the report
  const c = model(true);
  const err = await ortSessionError(c);
  assert.ok(err && err.length > 0);
  const rc = opSupport(c, err);
  const foo = rc.ops.find((o) => o.opType === 'com.example.Foo')!;
  assert.deepEqual([foo.ortForward, foo.ortGradient, foo.tfjsForward], [false, 'no', false]);
  assert.ok(rc.unsupportedNodes.includes('foo (com.example.Foo): onnxruntime cannot run it; no gradient rule for the onnxruntime VJP graph; the tfjs importer cannot run it'), rc.unsupportedNodes.join('\n'));
});

test('front end in words: features, raw, precomputed, none', () => {
  assert.match(describeFrontEnd(defaultFrontEnd('B1TF')), /^fbank 40-dim, 98 frames \(padMode center\), CMVN per-utt, layout B1TF, 16000 Hz; computed by jemda from wav\.scp/);
  assert.match(describeFrontEnd(parseFrontEnd('{"featureType":"raw","sampleRate":8000,"numSamples":null,"layout":"BT"}', 'x')), /^raw waveform: any number of samples at 8000 Hz .*; data dirs need wav\.scp$/);
  assert.match(describeFrontEnd(parseFrontEnd('{"featureType":"precomputed","featDim":13,"numFrames":50,"layout":"BTF","cmvn":"scp"}', 'x')), /^precomputed features: 13-dim, 50 frames .* data dirs need feats\.scp and cmvn\.scp$/);
  assert.match(describeFrontEnd(null), /--frontend-config/);
});

test('jemda model-info: the support table and unsupported nodes in text, all of it in --json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-opsup-'));
  try {
    const f = path.join(dir, 'm.onnx');
    saveModel(f, model(false));
    const t = spawnSync(process.execPath, [JEMDA, 'model-info', f], { encoding: 'utf8' });
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /\n {2}op +nodes +ort forward +ort gradient +tfjs forward +tfjs gradient\n/);
    assert.match(t.stdout, /\n {2}HardSigmoid +1 +yes +NO +yes +yes\n/);
    assert.match(t.stdout, /unsupported nodes \(1\):\n {2}hs \(HardSigmoid\): /);
    assert.match(t.stdout, /front end needed: fbank 4-dim, 1 frames/);
    const j = spawnSync(process.execPath, [JEMDA, 'model-info', '--json', f], { encoding: 'utf8' });
    assert.equal(j.status, 0, j.stderr);
    const info = JSON.parse(j.stdout) as { support: { ops: { opType: string }[]; unsupportedNodes: string[]; frontEndNeeded: string; ortError: null } };
    assert.deepEqual(info.support.ops.map((o) => o.opType).sort(), ['Gemm', 'HardSigmoid', 'Mul', 'Sign']);
    assert.equal(info.support.unsupportedNodes.length, 1);
    assert.equal(info.support.ortError, null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
