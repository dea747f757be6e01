/**
 * Atomic writes leave only `.<name>.tmp-<pid>-<n>` files when killed; removeStaleTemps clears those
 * of dead processes and keeps those of live ones (a concurrent writer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { removeStaleTemps, writeFileAtomic, writeDirAtomic } from '../../src/util/atomic.ts';

test('writeFileAtomic / writeDirAtomic leave no temp behind; removeStaleTemps removes dead writers’ temps only', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jemda-atomic-'));
  try {
    writeFileAtomic(path.join(dir, 'a.txt'), 'x');
    writeDirAtomic(path.join(dir, 'sub'), (t) => fs.writeFileSync(path.join(t, 'f'), 'y'));
    writeDirAtomic(path.join(dir, 'sub'), (t) => fs.writeFileSync(path.join(t, 'f'), 'z'));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.txt', 'sub']);
    assert.equal(fs.readFileSync(path.join(dir, 'sub', 'f'), 'utf8'), 'z');
    // A process that has exited: its pid is free (not reused within this test).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout.trim();
    const deadFile = `.raw_fbank_x.1.ark.tmp-${dead}-0`;
    const deadDir = `.sub.tmp-${dead}-3.old`;
    const liveFile = `.raw_fbank_x.2.ark.tmp-${process.pid}-7`;
    const other = `.raw_fbank_y.1.ark.tmp-${dead}-1`;
    for (const f of [deadFile, liveFile, other]) fs.writeFileSync(path.join(dir, f), 'partial');
    fs.mkdirSync(path.join(dir, deadDir));
    assert.deepEqual(removeStaleTemps(dir, '.raw_fbank_x.'), [deadFile]);
    assert.deepEqual(removeStaleTemps(dir).sort(), [other, deadDir].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), [liveFile, 'a.txt', 'sub'].sort());
    assert.deepEqual(removeStaleTemps(path.join(dir, 'missing')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
