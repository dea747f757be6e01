/**
 * `jemda onnx-test DIR... [--rtol 1e-3 --atol 1e-5] [--executor ort|tfjs|both] [--backend cpu|wasm]`:
 * runs ONNX backend-test directories on onnxruntime-node and/or the tfjs importer and compares with
 * the expected outputs; exits non-zero when any output is beyond tolerance.
 */
import type { CommandModule } from 'yargs';
import { selectBackend, type BackendName } from '../../model/backend.ts';
import { expandTestDirs, runTestCase, type Executor } from '../../model/onnx-test-runner.ts';
import { log } from '../../util/log.ts';
import { progress } from '../../util/progress.ts';

interface Args {
  dirs: string[];
  rtol: number;
  atol: number;
  executor: 'ort' | 'tfjs' | 'both';
  backend?: BackendName;
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
      .option('backend', { choices: ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const, describe: 'tfjs backend (default: best available)' }) as never,
  handler: async (a) => {
    const executors: Executor[] = a.executor === 'both' ? ['ort', 'tfjs'] : [a.executor];
    if (executors.includes('tfjs')) await selectBackend(a.backend);
    const dirs = expandTestDirs(a.dirs);
    const bar = dirs.length > 5 ? progress('onnx-test', dirs.length) : null;
    let failed = 0;
    let total = 0;
    const lines: string[] = [];
    for (const d of dirs) {
      for (const r of await runTestCase(d, executors, a.rtol, a.atol)) {
        total++;
        if (!r.pass) failed++;
        const head = `${r.pass ? 'PASS' : 'FAIL'} ${r.test} ${r.set} ${r.executor}`;
        if (r.error) lines.push(`${head}: ${r.error}`);
        else lines.push(`${head}: ${r.outputs.map((o) => `${o.output} max_abs=${o.maxAbs.toExponential(2)} max_rel=${o.maxRel.toExponential(2)}${o.detail ? ` (${o.detail})` : ''}`).join('; ')}`);
      }
      bar?.tick();
    }
    bar?.stop();
    process.stdout.write(lines.join('\n') + '\n');
    log(`onnx-test: ${total - failed}/${total} passed (rtol ${a.rtol}, atol ${a.atol})`);
    if (failed > 0) process.exitCode = 1;
  },
};
