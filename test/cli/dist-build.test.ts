import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeDataDir } from '../adapt/tiny-setup.ts';
// @ts-expect-error: a plain .mjs helper of scripts/ without type declarations
import { distIsFresh, STAMP } from '../../scripts/dist-fresh.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const FE = path.join(REPO, 'recipes/synth_kws/conf/frontend.json');

function touch(file: string, text: string, mtimeMs: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtimeMs / 1000, mtimeMs / 1000);
}

test('distIsFresh: only with a stamp, no source newer than it, and a compiled twin for every source module', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-dist-fresh-'));
  try {
    const t0 = Date.now() - 60_000;
    touch(path.join(root, 'src/a.ts'), 'export {};', t0);
    touch(path.join(root, 'src/sub/b.ts'), 'export {};', t0);
    touch(path.join(root, 'src/types.d.ts'), '', t0);
    touch(path.join(root, 'dist/a.js'), '', t0 + 1000);
    touch(path.join(root, 'dist/sub/b.js'), '', t0 + 1000);
    assert.equal(distIsFresh(root), false, 'no stamp: never built');
    fs.writeFileSync(path.join(root, STAMP), `${t0 + 500}\n`);
    assert.equal(distIsFresh(root), true);
    touch(path.join(root, 'src/sub/b.ts'), 'export const x = 1;', t0 + 2000);
    assert.equal(distIsFresh(root), false, 'a source edited after the build');
    touch(path.join(root, 'src/sub/b.ts'), 'export {};', t0);
    touch(path.join(root, 'src/new.ts'), 'export {};', t0);
    assert.equal(distIsFresh(root), false, 'a source module without its compiled twin');
    fs.rmSync(path.join(root, 'src/new.ts'));
    fs.writeFileSync(path.join(root, STAMP), 'garbage\n');
    assert.equal(distIsFresh(root), false, 'an unreadable stamp');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('npm run build: the compiled CLI runs (commands, worker threads) and writes the same features as the sources; orphans are dropped; an edited source falls back to tsx', () => {
  // A private copy of the repo's code (node_modules linked), so the build never races the other
  // tests' jemda processes on the repo's own dist/.
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-dist-build-'));
  try {
    for (const f of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) fs.cpSync(path.join(REPO, f), path.join(root, f), { recursive: true });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
    // npm test builds the repo first: its fresh dist/ (with tsc's incremental state) makes this
    // build an incremental one (seconds, not a full compile); without it the build starts from scratch
    if (distIsFresh(REPO)) fs.cpSync(path.join(REPO, 'dist'), path.join(root, 'dist'), { recursive: true });
    touch(path.join(root, 'dist/cli/commands/removed-command.js'), 'export const command = { command: "removed-command", handler() {} };', Date.now());
    const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr + b.stdout);
    assert.ok(fs.existsSync(path.join(root, STAMP)));
    assert.ok(fs.existsSync(path.join(root, 'dist/cli/index.js')));
    assert.ok(!fs.existsSync(path.join(root, 'dist/cli/commands/removed-command.js')), 'a compiled module without a source is removed');
    assert.equal(distIsFresh(root), true);

    const jemda = path.join(root, 'scripts/jemda.mjs');
    const run = (args: string[], fromSource: boolean) =>
      spawnSync(process.execPath, [jemda, ...args], { encoding: 'utf8', env: { ...process.env, JEMDA_NO_PROGRESS: '1', JEMDA_FROM_SOURCE: fromSource ? '1' : '' } });
    const v = run(['--version'], false);
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    const h = run(['--help'], false);
    assert.equal(h.status, 0, h.stderr);
    assert.match(h.stdout, /compute-feats/);
    assert.doesNotMatch(h.stdout, /removed-command/);

    // compute-feats with two worker threads, compiled and from source: identical archives.
    const feats: Record<string, Buffer> = {};
    for (const fromSource of [false, true]) {
      const dir = path.join(root, fromSource ? 'data-src' : 'data-dist');
      makeDataDir(dir, 6, { noise: 0.05, gain: 1, seed: 3, labels: true });
      const r = run(['compute-feats', '--frontend-config', FE, '--nj', '2', dir], fromSource);
      assert.equal(r.status, 0, r.stderr);
      const arks = fs.readdirSync(path.join(dir, 'data')).filter((f) => f.endsWith('.ark')).sort();
      assert.equal(arks.length, 2);
      feats[String(fromSource)] = Buffer.concat(arks.map((a) => fs.readFileSync(path.join(dir, 'data', a))));
    }
    assert.ok(feats.false.equals(feats.true), 'compiled and source runs wrote different archives');

    // An edited source makes dist stale: jemda runs the sources (the edit shows), until the next build.
    const cli = path.join(root, 'src/cli/index.ts');
    fs.appendFileSync(cli, '\nprocess.stderr.write("from-source-marker\\n");\n');
    assert.equal(distIsFresh(root), false);
    const s = run(['--version'], false);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stderr, /from-source-marker/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
