/**
 * `jemda onnx-test DIR... [--rtol 1e-3 --atol 1e-5] [--executor ort|tfjs|both] [--backend cpu|wasm]
 * [--expected FILE | --write-expected FILE]`: runs ONNX backend-test directories on onnxruntime-node
 * and/or the tfjs importer and compares with the expected outputs; exits non-zero when any output is
 * beyond tolerance. With --expected FILE (an expected-failure list, see model/onnx-expected-failures.ts)
 * it prints only the problems: a failure not in FILE, or a listed failure that now passes; it exits
 * non-zero when there is one. --write-expected FILE (re)writes the list from the run (lines of tests
 * not run are kept). Both print the pass counts per test: ort of all, tfjs of those ort passes.
 * --summary FILE (or -) writes the pass rates per op family of the importer as a Markdown table
 * (model/onnx-test-summary.ts; README's table comes from it).
 */
import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { selectBackend, type BackendName } from '../../model/backend.ts';
import { checkExpected, checkMessages, formatExpectedFailures, parseExpectedFailures, passCounts, testOutcomes, type ExpectedFailure } from '../../model/onnx-expected-failures.ts';
import { expandTestDirs, runTestCase, type Executor, type SetResult } from '../../model/onnx-test-runner.ts';
import { familyTableMarkdown, graphOpTypes, summarizeByFamily } from '../../model/onnx-test-summary.ts';
import { loadModel } from '../../model/onnx-io.ts';
import * as path from 'node:path';
import { DataError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';
import { progress } from '../../util/progress.ts';

interface Args {
  dirs: string[];
  rtol: number;
  atol: number;
  executor: 'ort' | 'tfjs' | 'both';
  backend?: BackendName;
  expected?: string;
  writeExpected?: string;
  summary?: string;
}

function readList(file: string): Map<string, ExpectedFailure> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read the expected-failure list: ${(e as Error).message}`, { cause: e });
  }
  return parseExpectedFailures(text, file);
}

export const command: CommandModule<object, Args> = {
  command: 'onnx-test <dirs..>',
  describe: 'Run ONNX backend-test directories (model.onnx + test_data_set_*) on onnxruntime and the tfjs importer',
  builder: (y) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'test directories, or parents of many' })
      .option('rtol', { type: 'number', default: 1e-3 })
      .option('atol', { type: 'number', default: 1e-5 })
      .option('executor', { choices: ['ort', 'tfjs', 'both'] as const, default: 'both' as const })
      .option('backend', { choices: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const, describe: 'tfjs backend (default: best available)' })
      .option('expected', { type: 'string', describe: 'expected-failure list: fail on a failure not in it, or on a listed test that passes' })
      .option('write-expected', { type: 'string', describe: '(re)write the expected-failure list from this run' })
      .option('summary', { type: 'string', describe: 'write the pass rates per op family of the tfjs importer (Markdown) to this file, - for stdout' })
      .conflicts('expected', 'write-expected') as never,
  handler: async (a) => {
    const executors: Executor[] = a.executor === 'both' ? ['ort', 'tfjs'] : [a.executor];
    const expected = a.expected !== undefined ? readList(a.expected) : undefined;
    const previous = a.writeExpected !== undefined && fs.existsSync(a.writeExpected) ? readList(a.writeExpected) : undefined;
    if (executors.includes('tfjs')) await selectBackend(a.backend);
    const dirs = expandTestDirs(a.dirs);
    const bar = dirs.length > 5 ? progress('onnx-test', dirs.length) : null;
    let failed = 0;
    let total = 0;
    const lines: string[] = [];
    const all: SetResult[] = [];
    for (const d of dirs) {
      for (const r of await runTestCase(d, executors, a.rtol, a.atol)) {
        all.push(r);
        total++;
        if (!r.pass) failed++;
        const head = `${r.pass ? 'PASS' : 'FAIL'} ${r.test} ${r.set} ${r.executor}`;
        if (r.error) lines.push(`${head}: ${r.error}`);
        else lines.push(`${head}: ${r.outputs.map((o) => `${o.output} max_abs=${o.maxAbs.toExponential(2)} max_rel=${o.maxRel.toExponential(2)}${o.detail ? ` (${o.detail})` : ''}`).join('; ')}`);
      }
      bar?.tick();
    }
    bar?.stop();
    const outcomes = testOutcomes(all);
    if (a.summary !== undefined) {
      const opsOf = new Map(dirs.map((d) => [path.basename(d), graphOpTypes(loadModel(path.join(d, 'model.onnx')))]));
      const rows = summarizeByFamily(outcomes, (t) => opsOf.get(t) ?? []);
      const md = familyTableMarkdown(rows, `ONNX backend node tests (${dirs.length} test dirs) per op family of the tfjs importer: \`jemda onnx-test ${a.dirs.join(' ')} --summary FILE\``);
      if (a.summary === '-') process.stdout.write(md);
      else fs.writeFileSync(a.summary, md);
    }
    if (expected === undefined) process.stdout.write(lines.join('\n') + '\n');
    log(`onnx-test: ${total - failed}/${total} passed (rtol ${a.rtol}, atol ${a.atol})`);
    if (executors.length === 2 || expected !== undefined || a.writeExpected !== undefined) {
      const c = passCounts(outcomes);
      const parts: string[] = [];
      if (c.ortRun > 0) parts.push(`ort ${c.ortPass}/${c.ortRun} tests passed`);
      if (c.tfjsRun > 0) parts.push(`tfjs ${c.tfjsPass}/${c.tfjsRun}${c.ortRun > 0 ? `, ${c.tfjsPassOfOrtPass}/${c.ortPass} of those ort passes` : ''}`);
      log(`onnx-test: ${parts.join('; ')}`);
    }
    if (a.writeExpected !== undefined) {
      fs.writeFileSync(a.writeExpected, formatExpectedFailures(outcomes, previous));
      const n = outcomes.filter((o) => !o.pass).length;
      log(`onnx-test: wrote ${a.writeExpected}: ${n} expected failure(s) of this run${previous ? ' (lines of tests not run kept)' : ''}`);
      return;
    }
    if (expected !== undefined) {
      const check = checkExpected(outcomes, expected);
      const msgs = checkMessages(check, a.expected!);
      if (msgs.length > 0) process.stdout.write(msgs.join('\n') + '\n');
      log(
        `onnx-test: ${a.expected}: ${check.stillFailing} listed failure(s) still fail as expected; ${check.unexpected.length} new failure(s), ${check.nowPassing.length} listed test(s) now pass`,
      );
      if (msgs.length > 0) process.exitCode = 1;
      return;
    }
    if (failed > 0) process.exitCode = 1;
  },
};
