/** Shared helpers for the data tests: temp dirs and small data-dir builders. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempDir(prefix = 'jemda-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rm(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Write files given as name → content into dir (creating it). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}

/** A small valid data dir with real (empty) wav files: speakers s1, s2; labels yes/no. */
export function makeValidDir(dir: string): void {
  fs.mkdirSync(path.join(dir, 'wav'), { recursive: true });
  const utts = ['s1-a', 's1-b', 's2-a'];
  for (const u of utts) fs.writeFileSync(path.join(dir, 'wav', `${u}.wav`), '');
  writeFiles(dir, {
    'wav.scp': utts.map((u) => `${u} ${path.join(dir, 'wav', `${u}.wav`)}\n`).join(''),
    utt2spk: 's1-a s1\ns1-b s1\ns2-a s2\n',
    spk2utt: 's1 s1-a s1-b\ns2 s2-a\n',
    utt2label: 's1-a yes\ns1-b no\ns2-a yes\n',
  });
}

/** The 16-byte global header of a Kaldi compressed matrix: min, range (float32), rows, cols (int32), little-endian. */
export function globalHeader(min: number, range: number, rows: number, cols: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeFloatLE(min, 0);
  b.writeFloatLE(range, 4);
  b.writeInt32LE(rows, 8);
  b.writeInt32LE(cols, 12);
  return b;
}
