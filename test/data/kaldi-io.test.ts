import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assertFinite } from '../../src/data/kaldi-matrix.ts';
import { readMatrices, readVectors } from '../../src/data/kaldi-read.ts';
import { closeCachedArchives, readMatrixAt, readVectorAt } from '../../src/data/kaldi-scp.ts';
import { parseWspecifier } from '../../src/data/kaldi-specifier.ts';
import { formatFloat32, openMatrixWriter } from '../../src/data/kaldi-write.ts';
import { FeatureError, ConfigError } from '../../src/util/errors.ts';
import { globalHeader, rm, tempDir } from './helpers.ts';

const i32 = (v: number) => {
  const b = Buffer.alloc(5);
  b[0] = 4;
  b.writeInt32LE(v, 1);
  return b;
};
const f32s = (vals: number[]) => {
  const b = Buffer.alloc(vals.length * 4);
  vals.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
};
const f64s = (vals: number[]) => {
  const b = Buffer.alloc(vals.length * 8);
  vals.forEach((v, i) => b.writeDoubleLE(v, i * 8));
  return b;
};
/** Hand-made Kaldi binary entries, byte by byte. */
const fmEntry = (key: string, rows: number, cols: number, vals: number[]) =>
  Buffer.concat([Buffer.from(`${key} `), Buffer.from([0, 0x42]), Buffer.from('FM '), i32(rows), i32(cols), f32s(vals)]);
const dmEntry = (key: string, rows: number, cols: number, vals: number[]) =>
  Buffer.concat([Buffer.from(`${key} `), Buffer.from([0, 0x42]), Buffer.from('DM '), i32(rows), i32(cols), f64s(vals)]);

test('binary ark: hand-made bytes are parsed exactly, and our writer produces exactly those bytes', () => {
  const dir = tempDir();
  try {
    const a = [1, 2.5, -3, 4, 5e-7, 6];
    const b = [0.1, 1e10, -2];
    const bytes = Buffer.concat([fmEntry('utt1', 2, 3, a), dmEntry('utt2', 1, 3, b), fmEntry('utt3', 0, 0, [])]);
    const ark = path.join(dir, 'hand.ark');
    fs.writeFileSync(ark, bytes);
    const got = [...readMatrices(`ark:${ark}`)];
    assert.deepEqual(got.map(([k]) => k), ['utt1', 'utt2', 'utt3']);
    assert.equal(got[0][1].rows, 2);
    assert.equal(got[0][1].cols, 3);
    assert.deepEqual(Array.from(got[0][1].data), a.map(Math.fround));
    assert.equal(got[0][1].data64, undefined);
    assert.deepEqual(got.map(([, m]) => m.stored), ['float', 'double', 'float']);
    assert.deepEqual(Array.from(got[1][1].data64!), b); // exact doubles
    assert.deepEqual(Array.from(got[1][1].data), b.map(Math.fround));
    assert.equal(got[2][1].rows, 0);

    const out = path.join(dir, 'ours.ark');
    const w = openMatrixWriter(`ark:${out}`);
    w.write('utt1', { rows: 2, cols: 3, data: new Float32Array(a) });
    w.write('utt2', { rows: 1, cols: 3, data: new Float64Array(b) }); // float64 → DM
    w.write('utt3', { rows: 0, cols: 0, data: new Float32Array(0) });
    assert.equal(fs.existsSync(out), false, 'ark appears only on close');
    w.close();
    assert.deepEqual(fs.readFileSync(out), bytes);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['hand.ark', 'ours.ark'], 'no temp files left');
  } finally {
    rm(dir);
  }
});

test('ark,scp: scp offsets point at \\0B after the key; readMatrixAt and scp: read them back', () => {
  const dir = tempDir();
  try {
    const ark = path.join(dir, 'f.ark');
    const scp = path.join(dir, 'f.scp');
    const w = openMatrixWriter(`ark,scp:${ark},${scp}`);
    const m1 = { rows: 3, cols: 2, data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    const m2 = { rows: 1, cols: 4, data: new Float32Array([7, 8, 9, 10]) };
    w.write('k1', m1);
    w.write('k2', m2);
    w.close();
    const len1 = 'k1 '.length + 2 + 3 + 5 + 5 + 6 * 4;
    assert.equal(fs.readFileSync(scp, 'utf8'), `k1 ${ark}:3\nk2 ${ark}:${len1 + 3}\n`);
    const bytes = fs.readFileSync(ark);
    assert.equal(bytes[3], 0);
    assert.equal(bytes[4], 0x42);
    assert.deepEqual(Array.from(readMatrixAt(`${ark}:${len1 + 3}`).data), [7, 8, 9, 10]);
    const viaScp = [...readMatrices(`scp:${scp}`)];
    assert.deepEqual(viaScp.map(([k, m]) => [k, m.rows, m.cols, Array.from(m.data)]), [
      ['k1', 3, 2, [1, 2, 3, 4, 5, 6]],
      ['k2', 1, 4, [7, 8, 9, 10]],
    ]);
    // Kaldi ranges (inclusive): rows 1..2, cols 1..1
    const r = readMatrixAt(`${ark}:3[1:2,1:1]`);
    assert.deepEqual([r.rows, r.cols, Array.from(r.data)], [2, 1, [4, 6]]);
    assert.throws(() => readMatrixAt(`${ark}:3[0:5]`), FeatureError);
    // a rewritten archive at the same path is re-read, not served from a stale descriptor
    const w2 = openMatrixWriter(`ark:${ark}`);
    w2.write('k1', { rows: 1, cols: 1, data: new Float32Array([42]) });
    w2.close();
    assert.deepEqual(Array.from(readMatrixAt(`${ark}:3`).data), [42]);
    closeCachedArchives();
  } finally {
    rm(dir);
  }
});

test('ark,t: exact Kaldi text layout, round trip, shortest float32 text', () => {
  const dir = tempDir();
  try {
    const f = path.join(dir, 't.ark');
    const w = openMatrixWriter(`ark,t:${f}`);
    w.write('utt1', { rows: 2, cols: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    w.write('utt2', { rows: 1, cols: 2, data: new Float32Array([0.1, -1e-7]) });
    w.write('e', { rows: 0, cols: 0, data: new Float32Array(0) });
    w.close();
    assert.equal(fs.readFileSync(f, 'utf8'), 'utt1  [\n  1 2 3 \n  4 5 6 ]\nutt2  [\n  0.1 -1e-7 ]\ne  [ ]\n');
    const back = [...readMatrices(`ark:${f}`)];
    assert.deepEqual(back.map(([k, m]) => [k, m.rows, m.cols, Array.from(m.data)]), [
      ['utt1', 2, 3, [1, 2, 3, 4, 5, 6]],
      ['utt2', 1, 2, [Math.fround(0.1), Math.fround(-1e-7)]],
      ['e', 0, 0, []],
    ]);
    // every float32 survives the text round trip
    const vals = new Float32Array(200);
    for (let i = 0; i < vals.length; i++) vals[i] = Math.fround(Math.sin(i * 12.9898) * 10 ** ((i % 13) - 6));
    for (const v of vals) assert.equal(Math.fround(Number(formatFloat32(v))), v);
    // Kaldi's own text style (numbers attached to brackets, CRLF, nan/inf) is read too
    fs.writeFileSync(f, 'a [\r\n 1 2\r\n 3 4]\nb  [ nan inf -inf ]\n');
    const k = [...readMatrices(`ark:${f}`)];
    assert.deepEqual(Array.from(k[0][1].data), [1, 2, 3, 4]);
    assert.deepEqual(Array.from(k[1][1].data), [NaN, Infinity, -Infinity]);
    fs.writeFileSync(f, 'a  [\n  1 2 \n  3 ]\n');
    assert.throws(() => [...readMatrices(`ark:${f}`)], /utterance a .*row 1 has 1 values, row 0 has 2/);
  } finally {
    rm(dir);
  }
});

test('vectors FV/DV binary and text; cmvn-style DM stats keep double precision', () => {
  const dir = tempDir();
  try {
    const f = path.join(dir, 'v.ark');
    const hand = Buffer.concat([
      Buffer.from('v1 '), Buffer.from([0, 0x42]), Buffer.from('FV '), i32(3), f32s([1, 2, 3]),
      Buffer.from('v2 '), Buffer.from([0, 0x42]), Buffer.from('DV '), i32(2), f64s([0.1, 1e300]),
    ]);
    fs.writeFileSync(f, hand);
    const got = [...readVectors(`ark:${f}`)];
    assert.deepEqual(Array.from(got[0][1].data), [1, 2, 3]);
    assert.deepEqual(Array.from(got[1][1].data64!), [0.1, 1e300]);
    const g = path.join(dir, 'w.ark');
    const w = openMatrixWriter(`ark:${g}`);
    w.writeVector('v1', new Float32Array([1, 2, 3]));
    w.writeVector('v2', new Float64Array([0.1, 1e300]));
    w.close();
    assert.deepEqual(fs.readFileSync(g), hand);
    assert.throws(() => [...readMatrices(`ark:${g}`)], /expected a matrix, found a vector/);
    assert.deepEqual(Array.from(readVectorAt(`${g}:3`).data), [1, 2, 3]);
    const t = path.join(dir, 't.ark');
    const wt = openMatrixWriter(`ark,t:${t}`);
    wt.writeVector('v', new Float32Array([1, 0.5]));
    wt.close();
    assert.equal(fs.readFileSync(t, 'utf8'), 'v  [ 1 0.5 ]\n');
    assert.deepEqual(Array.from([...readVectors(`ark:${t}`)][0][1].data), [1, 0.5]);
    // cmvn stats: 2 x (D+1) doubles; the count and sums of squares stay exact
    const stats = new Float64Array([123456789.125, -2.5, 98, 16777217.5, 3.25, 0]);
    const c = path.join(dir, 'cmvn.ark');
    const wc = openMatrixWriter(`ark:${c}`);
    wc.write('spk1', { rows: 2, cols: 3, data: stats });
    wc.close();
    assert.deepEqual(Array.from([...readMatrices(`ark:${c}`)][0][1].data64!), Array.from(stats));
  } finally {
    rm(dir);
  }
});

/** Independent statement of Kaldi's compressed-matrix formulas for the test. */
function u16(min: number, range: number, code: number): number {
  return min + (range * code) / 65535;
}
function byteMap(p0: number, p25: number, p75: number, p100: number, v: number): number {
  if (v <= 64) return p0 + ((p25 - p0) * v) / 64;
  if (v <= 192) return p25 + ((p75 - p25) * (v - 64)) / 128;
  return p75 + ((p100 - p75) * (v - 192)) / 63;
}

test('compressed matrices CM, CM2, CM3 decode by the formulas (hand-made bytes)', () => {
  const dir = tempDir();
  try {
    const min = -2;
    const range = 4;
    // CM: 3 rows x 2 cols; per-column uint16 percentiles, then bytes column by column
    const cols = [
      { p: [0, 16384, 49151, 65535], bytes: [0, 64, 255] },
      { p: [100, 20000, 30000, 40000], bytes: [128, 192, 200] },
    ];
    const hdrs = Buffer.alloc(16);
    cols.forEach((c, j) => c.p.forEach((v, k) => hdrs.writeUInt16LE(v, j * 8 + k * 2)));
    const cm = Buffer.concat([
      Buffer.from('a '), Buffer.from([0, 0x42]), Buffer.from('CM '), globalHeader(min, range, 3, 2), hdrs,
      Buffer.from(cols[0].bytes), Buffer.from(cols[1].bytes),
    ]);
    const cm2Vals = [0, 65535, 32768, 1];
    const cm2Data = Buffer.alloc(8);
    cm2Vals.forEach((v, i) => cm2Data.writeUInt16LE(v, i * 2));
    const cm2 = Buffer.concat([Buffer.from('b '), Buffer.from([0, 0x42]), Buffer.from('CM2 '), globalHeader(min, range, 2, 2), cm2Data]);
    const cm3Vals = [0, 255, 51, 102, 7, 200];
    const cm3 = Buffer.concat([Buffer.from('c '), Buffer.from([0, 0x42]), Buffer.from('CM3 '), globalHeader(min, range, 3, 2), Buffer.from(cm3Vals)]);
    const f = path.join(dir, 'c.ark');
    fs.writeFileSync(f, Buffer.concat([cm, cm2, cm3]));
    const got = new Map([...readMatrices(`ark:${f}`)]);

    const a = got.get('a')!;
    assert.deepEqual([a.rows, a.cols], [3, 2]);
    for (let j = 0; j < 2; j++) {
      const [p0, p25, p75, p100] = cols[j].p.map((c) => u16(min, range, c));
      for (let r = 0; r < 3; r++) {
        const want = byteMap(p0, p25, p75, p100, cols[j].bytes[r]);
        assert.ok(Math.abs(a.data[r * 2 + j] - want) < 1e-5, `CM (${r},${j}): ${a.data[r * 2 + j]} vs ${want}`);
      }
    }
    // endpoints: byte 0 → p0 = min, byte 255 → p100 = min + range
    assert.ok(Math.abs(a.data[0] - -2) < 1e-6);
    assert.ok(Math.abs(a.data[4] - 2) < 1e-5);

    const b = got.get('b')!;
    assert.deepEqual([b.rows, b.cols], [2, 2]);
    cm2Vals.forEach((v, i) => assert.ok(Math.abs(b.data[i] - u16(min, range, v)) < 1e-6, `CM2 ${i}`));
    const c = got.get('c')!;
    assert.deepEqual([c.rows, c.cols], [3, 2]);
    cm3Vals.forEach((v, i) => assert.ok(Math.abs(c.data[i] - (min + (range * v) / 255)) < 1e-6, `CM3 ${i}`));

    // truncated compressed data → FeatureError naming the key
    fs.writeFileSync(f, cm.subarray(0, cm.length - 2));
    assert.throws(() => [...readMatrices(`ark:${f}`)], (e: unknown) => e instanceof FeatureError && /utterance a .*truncated/.test(e.message));
  } finally {
    rm(dir);
  }
});

test('malformed input: errors name the file, key and byte offset', () => {
  const dir = tempDir();
  try {
    const f = path.join(dir, 'bad.ark');
    const good = fmEntry('utt1', 2, 2, [1, 2, 3, 4]);
    fs.writeFileSync(f, Buffer.concat([good, good.subarray(0, good.length - 3)]));
    assert.throws(
      () => [...readMatrices(`ark:${f}`)],
      (e: unknown) => e instanceof FeatureError && e.message.includes('utt1') && e.message.includes(f) && /truncated/.test(e.message),
    );
    const huge = Buffer.concat([Buffer.from('x '), Buffer.from([0, 0x42]), Buffer.from('FM '), i32(1e9), i32(1e9)]);
    fs.writeFileSync(f, huge);
    assert.throws(() => [...readMatrices(`ark:${f}`)], /utterance x .*(too large|truncated)/);
    fs.writeFileSync(f, Buffer.concat([Buffer.from('x '), Buffer.from([0, 0x42]), Buffer.from('QQ '), i32(1)]));
    assert.throws(() => [...readMatrices(`ark:${f}`)], /unknown binary object type 'QQ'.*at byte 4/);
    assert.throws(() => readMatrixAt(`${f}:999`), /offset beyond the end/);
    assert.throws(() => readMatrixAt(`${path.join(dir, 'nope.ark')}:0`), FeatureError);
    assert.throws(() => [...readMatrices(`ark:${path.join(dir, 'nope.ark')}`)], FeatureError);
    assert.throws(() => readMatrixAt('gunzip -c x.gz |'), /pipe entries/);
    assert.throws(() => parseWspecifier('foo:x'), ConfigError);
    assert.throws(() => parseWspecifier('scp:x'), ConfigError);
    assert.deepEqual(parseWspecifier('scp,ark,t:a.scp,a.ark'), { text: true, scp: 'a.scp', ark: 'a.ark' });
    closeCachedArchives();
  } finally {
    rm(dir);
  }
});

test('assertFinite names the utterance, frame and dim', () => {
  const m = { rows: 2, cols: 3, data: new Float32Array([0, 1, 2, 3, NaN, 5]) };
  assert.throws(() => assertFinite(m, 'spk1-utt7', 'feats.scp'), (e: unknown) => e instanceof FeatureError && /utterance spk1-utt7 \(feats\.scp\).*NaN at frame 1, dim 1/.test(e.message));
  m.data[4] = -Infinity;
  assert.throws(() => assertFinite(m, 'u', 's'), /-Infinity/);
  m.data[4] = 4;
  assertFinite(m, 'u', 's');
});
