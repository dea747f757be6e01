/**
 * Atomic writes: write to a temp file in the same directory, fsync, rename. A process killed
 * midway leaves at most a `*.tmp-<pid>-<n>` file, never a truncated output that a later stage
 * would trust.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${counter++}`);
}

/** True while process `pid` exists (signal 0 probes without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temp files and dirs (`.<name>.tmp-<pid>-<n>`, `….old`) in `dir` whose names start
 * with `prefix` and whose writing process no longer exists (killed, e.g. with kill -9). Temps of
 * live processes are kept. Returns the names removed.
 */
export function removeStaleTemps(dir: string, prefix = '.'): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const m = /^\..+\.tmp-(\d+)-\d+(\.old)?$/.exec(f);
    if (!m || !f.startsWith(prefix) || processAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, f), { recursive: true, force: true });
    removed.push(f);
  }
  return removed;
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Atomically replace a whole directory: build it in `dir.tmp-*`, then swap it in. */
export function writeDirAtomic(dir: string, build: (tmpDir: string) => void): void {
  const tmp = tempName(dir);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  build(tmp);
  const old = `${tmp}.old`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}
