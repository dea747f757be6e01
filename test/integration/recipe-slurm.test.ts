/**
 * The recipe on a real Slurm: scripts/slurm-one-node.sh starts a one-node cluster (munged,
 * slurmctld, slurmd) in a scratch folder, and recipes/synth_kws/run.sh --size tiny runs once with
 * the default local $cmd and once with --cmd slurm (features, evaluations and adaptations as
 * sbatch arrays). Both must give the same results.json; a job that fails on Slurm must stop the
 * recipe and name its log. Needs root and Debian's slurm-wlm + munge (CI installs them): when the
 * cluster cannot start, the test fails with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RUN = path.join(ROOT, 'recipes/synth_kws/run.sh');
const CLUSTER = path.join(ROOT, 'scripts/slurm-one-node.sh');
/** A small protocol (the plumbing, not the accuracy): two domains, two methods with a sampler and BatchNorm statistics, one seed. */
const ARGS = ['--size', 'tiny', '--nj', '2', '--dev-domains', 'telephone', '--test-domains', 'flite', '--seeds', '1', '--methods', 'source-only adabn jem',
  '--adapt-opts', '--steps 3 --batch-size 16 --sgld-steps 4 --sgld-batch-size 16 --buffer-size 64 --adabn-passes 1'];

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1', ...env }, maxBuffer: 1 << 28, timeout: 20 * 60 * 1000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

test('recipe synth_kws --cmd slurm on a real one-node Slurm: the same results.json as the local run; a failed job names its log', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-slurm-'));
  fs.chmodSync(tmp, 0o755); // munged runs as the munge user and must reach the cluster folder
  const cluster = path.join(tmp, 'cluster');
  try {
    const up = run('bash', [CLUSTER, 'start', cluster]);
    assert.equal(up.status, 0, `the one-node Slurm did not start (needs root and apt-get install slurm-wlm munge): ${up.stderr}`);
    const slurmConf = /^export SLURM_CONF=(\S+)$/m.exec(up.stdout)?.[1];
    assert.ok(slurmConf, `no SLURM_CONF in: ${up.stdout}`);
    const env = { SLURM_CONF: slurmConf };

    const local = path.join(tmp, 'local'), slurm = path.join(tmp, 'slurm');
    let t0 = performance.now();
    const a = run('bash', [RUN, ...ARGS, '--data', `${local}/data`, '--exp', `${local}/exp`]);
    assert.equal(a.status, 0, `local run failed:\n${a.stderr.slice(-3000)}`);
    t.diagnostic(`local: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    const b = run('bash', [RUN, ...ARGS, '--cmd', 'slurm', '--data', `${slurm}/data`, '--exp', `${slurm}/exp`], env);
    assert.equal(b.status, 0, `slurm run failed:\n${b.stderr.slice(-3000)}`);
    t.diagnostic(`slurm: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // the jobs ran as sbatch arrays: their scripts, Slurm outputs and exit codes are in the log folders' q/
    const q = path.join(slurm, 'data', 'source_train', 'log', 'q');
    assert.deepEqual(fs.readdirSync(q).filter((f) => f.startsWith('feats.status.')).sort(), ['feats.status.1', 'feats.status.2']);
    assert.equal(fs.readFileSync(path.join(q, 'feats.status.2'), 'utf8').trim(), '0');
    assert.match(fs.readFileSync(path.join(slurm, 'exp', 'jem', 'flite', 'seed1.log'), 'utf8'), /# Ended \(code 0\)/);

    const results = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'exp', 'results.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(results(slurm), results(local), 'results.json differs between --cmd local and --cmd slurm');

    // a job that fails on the cluster: the recipe stops and names the job's log
    const bad = run('bash', [RUN, ...ARGS, '--cmd', 'slurm', '--data', `${slurm}/data`, '--exp', `${slurm}/exp`, '--stage', '4', '--methods', 'jem',
      '--adapt-opts', '--steps 3 --sgld-step-size -1'], env);
    assert.notEqual(bad.status, 0, 'the recipe went on after a failed job');
    const log = path.join(slurm, 'exp', 'jem', 'telephone', 'seed1.log');
    assert.ok(bad.stderr.includes(`slurm.sh: job 1 failed (exit code 1); its log is ${log}`), `no log named:\n${bad.stderr.slice(-2000)}`);
    assert.ok(bad.stderr.includes(`FAILED (see ${log})`), bad.stderr.slice(-2000));
    assert.match(fs.readFileSync(log, 'utf8'), /step size must be > 0[\s\S]*# Ended \(code 1\)/);
  } finally {
    run('bash', [CLUSTER, 'stop', cluster]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
