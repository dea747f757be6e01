/**
 * Fuzz the ark/scp reader: seeded random bytes, truncations and bit flips of a valid archive
 * holding every object type. Only typed errors (JemdaError) may come out; nothing may hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMatrices, readVectors } from '../../src/data/kaldi-read.ts';
import { closeCachedArchives, readMatrixAt } from '../../src/data/kaldi-scp.ts';
import { openMatrixWriter } from '../../src/data/kaldi-write.ts';
import { JemdaError } from '../../src/util/errors.ts';
import { Rng } from '../../src/util/rng.ts';
import { globalHeader, rm, tempDir } from './helpers.ts';

function validArchive(dir: string): { bytes: Buffer; offsets: number[] } {
  const f = path.join(dir, 'valid.ark');
  const scp = path.join(dir, 'valid.scp');
  const w = openMatrixWriter(`ark,scp:${f},${scp}`);
  w.write('u1', { rows: 3, cols: 4, data: new Float32Array(12).map((_, i) => i * 0.5 - 2) });
  w.write('u2', { rows: 2, cols: 2, data: new Float64Array([1, -1, 1e-3, 7]) });
  w.writeVector('v1', new Float32Array([1, 2, 3]));
  w.write('u3', { rows: 0, cols: 0, data: new Float32Array(0) });
  w.close();
  const hdr = globalHeader;
  const compressed = Buffer.concat([
    Buffer.from('c1 \0BCM '), hdr(-1, 2, 2, 2), Buffer.from([0, 0, 0, 64, 0, 128, 255, 255, 0, 0, 0, 1, 0, 2, 0, 3]), Buffer.from([1, 2, 3, 4]),
    Buffer.from('c2 \0BCM2 '), hdr(0, 1, 1, 2), Buffer.from([1, 0, 255, 255]),
    Buffer.from('c3 \0BCM3 '), hdr(0, 1, 2, 1), Buffer.from([9, 250]),
    Buffer.from('t1  [\n  1 2 \n  3 4 ]\n'),
  ]);
  const bytes = Buffer.concat([fs.readFileSync(f), compressed]);
  const offsets = fs.readFileSync(scp, 'utf8').trim().split('\n').map((l) => Number(l.split(':').pop()));
  return { bytes, offsets };
}

function expectTyped(fn: () => void, what: string): 'ok' | 'error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof JemdaError)) assert.fail(`${what}: untyped error ${(e as Error)?.stack ?? e}`);
    return 'error';
  }
}

test('fuzz: 3000 random/truncated/bit-flipped archives give only typed errors', { timeout: 60_000 }, () => {
  const dir = tempDir('jemda-fuzz-');
  try {
    const { bytes, offsets } = validArchive(dir);
    fs.writeFileSync(path.join(dir, 'whole.ark'), bytes);
    // the valid archive parses completely; readMatrices refuses its vector with a typed error
    for (const k of [0, 1, 3]) void readMatrixAt(`${path.join(dir, 'whole.ark')}:${offsets[k]}`);
    assert.throws(() => [...readMatrices(`ark:${path.join(dir, 'whole.ark')}`)], /utterance v1 .*expected a matrix, found a vector/);
    const rng = new Rng(20261129);
    const f = path.join(dir, 'fuzz.ark');
    const tally = { ok: 0, error: 0 }; // error: readMatrices failed; ok: some read of the case succeeded
    const N = 3000;
    for (let i = 0; i < N; i++) {
      let data: Buffer;
      const kind = i % 4;
      if (kind === 0) {
        // random bytes, sometimes after a plausible prefix
        const n = rng.int(300);
        data = Buffer.alloc(n);
        for (let j = 0; j < n; j++) data[j] = rng.int(256);
        if (rng.uniform() < 0.5) data = Buffer.concat([Buffer.from(['k \0BFM ', 'k \0BCM ', 'k \0BCM2 ', 'k  [', 'k \0BDV '][rng.int(5)], 'latin1'), data]);
      } else if (kind === 1) {
        data = bytes.subarray(0, rng.int(bytes.length));
      } else {
        data = Buffer.from(bytes);
        const flips = 1 + rng.int(kind === 2 ? 2 : 8);
        for (let j = 0; j < flips; j++) {
          const p = rng.int(data.length);
          data[p] ^= 1 << rng.int(8);
        }
        if (kind === 3 && rng.uniform() < 0.5) data = data.subarray(0, rng.int(data.length));
      }
      fs.writeFileSync(f, data);
      const r1 = expectTyped(() => {
        for (const [, m] of readMatrices(`ark:${f}`)) assert.equal(m.data.length, m.rows * m.cols);
      }, `case ${i} matrices`);
      tally[r1]++;
      const r2 = expectTyped(() => {
        for (const [, v] of readVectors(`ark:${f}`)) assert.ok(v.data instanceof Float32Array);
      }, `case ${i} vectors`);
      const off = rng.uniform() < 0.7 ? offsets[rng.int(offsets.length)] : rng.int(data.length + 10);
      const r3 = expectTyped(() => void readMatrixAt(`${f}:${off}`), `case ${i} readMatrixAt ${off}`);
      if (r2 === 'ok' || r3 === 'ok') tally.ok++;
      // a random scp pointing into it (sometimes with a range)
      if (i % 10 === 0) {
        const scp = path.join(dir, 'fuzz.scp');
        fs.writeFileSync(scp, `a ${f}:${offsets[0]}\nb ${f}:${off}[0:1]\n`);
        expectTyped(() => void [...readMatrices(`scp:${scp}`)], `case ${i} scp`);
      }
    }
    // both outcomes happen: the fuzzer is not trivially all-error
    assert.ok(tally.ok > 50, `ok=${tally.ok}`);
    assert.ok(tally.error > 1000, `error=${tally.error}`);
  } finally {
    closeCachedArchives();
    rm(dir);
  }
});
