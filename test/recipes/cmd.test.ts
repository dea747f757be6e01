/**
 * The $cmd back ends (recipes/common/cmd): local.sh runs JOB arrays here; slurm.sh's option
 * mapping and status handling are checked with a stand-in for sbatch named by the config's
 * `command` line (it records its arguments and runs each array task here). The real-Slurm run is
 * test/integration/recipe-slurm.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CMD = path.resolve(import.meta.dirname, '../../recipes/common/cmd');

function sh(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string } {
  const r = spawnSync('bash', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stderr: r.stderr };
}

function withDir(f: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-cmd-'));
  try {
    f(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const read = (f: string) => fs.readFileSync(f, 'utf8');

test('local.sh: a JOB array with JOB replaced in the log and the command, Kaldi log header and footer, arguments kept whole, pipes and redirections as their own arguments', () =>
  withDir((dir) => {
    const r = sh(dir, [`${CMD}/local.sh`, 'JOB=2:4', 'log/x.JOB.log', 'echo', "job JOB of 'three'", '|', 'tr', 'a-z', 'A-Z', '>', 'out.JOB']);
    assert.equal(r.status, 0, r.stderr);
    for (const j of [2, 3, 4]) assert.equal(read(path.join(dir, `out.${j}`)), `JOB ${j} OF 'THREE'\n`);
    assert.ok(!fs.existsSync(path.join(dir, 'out.1')));
    const log = read(path.join(dir, 'log/x.3.log'));
    assert.match(log, /^# echo job\\ 3\\ of\\ \\'three\\' \| tr a-z A-Z > out\.3\n# Started at .*\n#\n# Accounting: time=\d+ threads=1\n# Ended \(code 0\) at .*, elapsed time \d+ seconds\n$/);
    // one job (no JOB=): JOB is left alone; --num-threads reaches the job as OMP_NUM_THREADS
    assert.equal(sh(dir, [`${CMD}/local.sh`, '--num-threads', '3', 'one.log', 'echo', 'JOB', '$OMP_NUM_THREADS']).status, 0);
    assert.match(read(path.join(dir, 'one.log')), /\nJOB 3\n# Accounting: time=\d+ threads=3\n/);
  }));

test('local.sh: failed jobs are named with their logs and exit codes; --max-jobs-run runs them one at a time; bad usage is an error', () =>
  withDir((dir) => {
    const r = sh(dir, [`${CMD}/local.sh`, '--max-jobs-run', '1', 'JOB=1:4', 'log/y.JOB.log', 'bash', '-c', 'echo start JOB >> order; sleep 0.2; echo end JOB >> order; exit $((JOB % 2 * 7))']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'local.sh: job 1 failed (exit code 7); its log is log/y.1.log\nlocal.sh: job 3 failed (exit code 7); its log is log/y.3.log\nlocal.sh: 2 / 4 job(s) failed\n');
    assert.match(read(path.join(dir, 'log/y.3.log')), /# Ended \(code 7\)/);
    assert.equal(read(path.join(dir, 'order')), [1, 2, 3, 4].map((j) => `start ${j}\nend ${j}\n`).join(''));
    for (const [args, msg] of [
      [['JOB=3:1', 'l', 'true'], /empty job range/],
      [['J=1:2', 'l', 'true'], /a job range is JOB=A:B/],
      [['--bogus', '1', 'l', 'true'], /unknown option --bogus/],
      [['--num-threads', 'x', 'l', 'true'], /--num-threads must be a non-negative integer/],
      [['only-a-log'], /usage: local\.sh/],
    ] as const) {
      const e = sh(dir, [`${CMD}/local.sh`, ...args]);
      assert.equal(e.status, 1, args.join(' '));
      assert.match(e.stderr, msg);
    }
  }));

/** A stand-in for sbatch: records its arguments, runs every task of --array=A-B[%M] here (SKIP_TASK: one that never runs), prints a job id. */
const FAKE_SBATCH = `#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/sbatch.args"
script=\${@: -1}
for a in "$@"; do case "$a" in --array=*) r=\${a#--array=}; r=\${r%%%*}; first=\${r%-*}; last=\${r#*-} ;; esac; done
for ((j = first; j <= last; j++)); do
  [ "$j" = "\${SKIP_TASK:-}" ] && continue
  SLURM_ARRAY_TASK_ID=$j bash "$script" > /dev/null 2>&1
done
echo 4242
`;

test('slurm.sh: options mapped to sbatch options by the config, one array submission, task exit codes from status files; failed and unfinished tasks are named', () =>
  withDir((dir) => {
    fs.writeFileSync(path.join(dir, 'sbatch'), FAKE_SBATCH, { mode: 0o755 });
    fs.writeFileSync(
      path.join(dir, 'slurm.conf'),
      [`command ${dir}/sbatch --export=ALL -p short # comment`, 'poll true', 'option mem=* --mem=$0', 'option mem=0', 'option num_threads=* --cpus-per-task=$0', 'option num_threads=1',
        'default gpu=0', 'option gpu=0', 'option gpu=* --gres=gpu:$0 -p gpu'].join('\n') + '\n',
    );
    const slurm = (...args: string[]) => sh(dir, [`${CMD}/slurm.sh`, '--config', 'slurm.conf', ...args]);
    let r = slurm('--mem', '2G', '--num-threads', '4', '--gpu', '1', '--max-jobs-run', '2', 'JOB=1:3', 'exp/log/a.JOB.log', 'echo', 'task JOB');
    assert.equal(r.status, 0, r.stderr);
    const q = path.join(dir, 'exp/log/q');
    assert.equal(
      read(path.join(dir, 'sbatch.args')).trim(),
      `--export=ALL -p short --mem=2G --cpus-per-task=4 --gres=gpu:1 -p gpu --parsable --job-name=a --array=1-3%2 --output=${q}/a.%a.out --chdir=${dir} ${q}/a.sh`,
    );
    for (const j of [1, 2, 3]) {
      assert.match(read(path.join(dir, `exp/log/a.${j}.log`)), new RegExp(`\\ntask ${j}\\n# Accounting: time=\\d+ threads=4\\n`));
      assert.equal(read(path.join(q, `a.status.${j}`)), '0\n');
    }
    // defaults: mem not given, num_threads 1 and gpu 0 add nothing
    fs.rmSync(path.join(dir, 'sbatch.args'));
    assert.equal(slurm('exp/log/b.log', 'true').status, 0);
    assert.match(read(path.join(dir, 'sbatch.args')), /^--export=ALL -p short --parsable --job-name=b --array=1-1 /);
    // a failed task and one that never ran (its status file from an earlier run must not count)
    r = sh(dir, [`${CMD}/slurm.sh`, '--config', 'slurm.conf', 'JOB=1:3', 'exp/log/a.JOB.log', 'bash', '-c', 'exit $((JOB == 1 ? 3 : 0))'], { SKIP_TASK: '2' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^slurm\.sh: job 1 failed \(exit code 3\); its log is exp\/log\/a\.1\.log\nslurm\.sh: job 2 did not finish; its log is exp\/log\/a\.2\.log \(job 4242; Slurm's output: .*\/exp\/log\/q\/a\.<job>\.out\)\nslurm\.sh: 2 \/ 3 job\(s\) failed\n$/);
    // a value the config has no rule for, and a config without a command line
    fs.writeFileSync(path.join(dir, 'strict.conf'), `command ${dir}/sbatch\npoll true\noption gpu=0\n`);
    r = sh(dir, [`${CMD}/slurm.sh`, '--config', 'strict.conf', '--gpu', '2', 'l.log', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /strict\.conf has no rule for --gpu 2/);
    fs.writeFileSync(path.join(dir, 'empty.conf'), '# nothing\n');
    assert.match(sh(dir, [`${CMD}/slurm.sh`, '--config', 'empty.conf', 'l.log', 'true']).stderr, /has no 'command' line/);
    // sbatch itself failing: said once, nothing ran
    fs.writeFileSync(path.join(dir, 'fail.conf'), 'command false\n');
    r = sh(dir, [`${CMD}/slurm.sh`, '--config', 'fail.conf', 'JOB=1:2', 'l.JOB.log', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^slurm\.sh: sbatch failed \(exit code 1\), no job ran; the log would have been l\.1\.log/);
  }));
