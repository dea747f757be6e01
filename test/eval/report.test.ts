import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classificationMetrics } from '../../src/engine/metrics.ts';
import { compareMarkdown, readComparison, readExpResults, rowNames, writeEvalResult, type EvalResult } from '../../src/eval/report.ts';
import { niceTicks, trainingCurvesSvg } from '../../src/engine/plots.ts';

function result(set: string, logits: number[], labels: number[]): EvalResult {
  const names = ['a', 'b'];
  return { set, data: `data/${set}`, model: 'm.onnx', labels: names, ...classificationMetrics(logits, labels, names) };
}

test('eval result files and compare-results table', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-report-'));
  try {
    const r1 = result('source_test', [2, 0, 0, 2], [0, 1]);
    const r2 = result('tel_test', [2, 0, 2, 0], [0, 1]);
    const dirA = path.join(tmp, 'source', 'results');
    const files = writeEvalResult(dirA, r1);
    writeEvalResult(dirA, r2);
    for (const f of files) assert.ok(fs.statSync(f).size > 100, f);
    const svg = fs.readFileSync(files[2], 'utf8');
    assert.match(svg, /^<\?xml/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(fs.readFileSync(files[1], 'utf8'), /\| accuracy \(%\) \| 100\.00 \|/);
    const dirB = path.join(tmp, 'jem', 'results');
    writeEvalResult(dirB, result('tel_test', [2, 0, 0, 2], [0, 1]));
    const md = compareMarkdown([readExpResults(path.join(tmp, 'source')), readExpResults(path.join(tmp, 'jem'))]);
    assert.match(md, /\| method \| source_test \| tel_test \|/);
    assert.match(md, /\| source \| 100\.00 \| 50\.00 \|/);
    assert.match(md, /\| jem \| – \| 100\.00 \|/);
    assert.equal(fs.readdirSync(dirA).filter((f) => f.includes('.tmp-')).length, 0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('compare-results rows: relative names, per-domain dirs merge into their method', () => {
  assert.deepEqual(
    rowNames(['/e/source', '/e/jem/telephone', '/e/jem/noisy', '/e/tent'], [['source_test', 'telephone_test'], ['telephone_test'], ['noisy_test'], ['noisy_test']]),
    ['source', 'jem', 'jem', 'tent'],
  );
  assert.deepEqual(rowNames(['/x/exp/source'], [['source_test']]), ['source']);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-cmp-'));
  try {
    writeEvalResult(path.join(tmp, 'jem', 'telephone', 'results'), result('telephone_test', [2, 0, 0, 2], [0, 1]));
    writeEvalResult(path.join(tmp, 'jem', 'noisy', 'results'), result('noisy_test', [2, 0, 2, 0], [0, 1]));
    writeEvalResult(path.join(tmp, 'source', 'results'), result('noisy_test', [2, 0, 2, 0], [0, 1]));
    const rows = readComparison([path.join(tmp, 'source'), path.join(tmp, 'jem', 'telephone'), path.join(tmp, 'jem', 'noisy')]);
    assert.deepEqual(rows.map((r) => [r.name, [...r.results.keys()]]), [['source', ['noisy_test']], ['jem', ['telephone_test', 'noisy_test']]]);
    assert.match(compareMarkdown(rows), /\| jem \| 50\.00 \| 100\.00 \|/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('plot helpers', () => {
  assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 1000, 4), [0, 500, 1000]);
  const svg = trainingCurvesSvg([{ step: 0, loss: 2.5, trainAcc: 0.1 }, { step: 10, loss: 1, trainAcc: 0.5, devAcc: 0.4, devNll: 1.2 }]);
  assert.equal((svg.match(/<path /g) ?? []).length, 4);
});
