/**
 * The checkpoint folder layout shared by `train` and `adapt`: EXPDIR/checkpoints/step-N, complete
 * once it holds state.json (each is written atomically).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function checkpointDir(expDir: string, step: number): string {
  return path.join(expDir, 'checkpoints', `step-${step}`);
}

/** Steps of the complete checkpoints in EXPDIR, ascending. */
export function listCheckpoints(expDir: string): number[] {
  const root = path.join(expDir, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root)
    .map((d) => /^step-(\d+)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(root, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Remove all but the newest `keep` checkpoints. */
export function pruneCheckpoints(expDir: string, keep: number): void {
  const steps = listCheckpoints(expDir);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep))) fs.rmSync(checkpointDir(expDir, s), { recursive: true, force: true });
}
