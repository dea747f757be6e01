#!/usr/bin/env node
// `npm run build`: compile src/ to dist/ (tsc -p tsconfig.build.json, incremental), drop dist/
// files whose source is gone, and stamp dist/ with the time the build started. scripts/jemda.mjs
// runs dist/ only while no source file is newer than that stamp (scripts/dist-fresh.mjs).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAMP, sourceFiles, distFiles } from './dist-fresh.mjs';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const stamp = path.join(root, STAMP);
fs.rmSync(stamp, { force: true });
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('build: tsc failed; jemda keeps running the TypeScript sources through tsx');
  process.exit(r.status ?? 1);
}
const sources = new Set(sourceFiles(root));
for (const js of distFiles(root)) if (!sources.has(js.replace(/\.js$/, '.ts'))) fs.rmSync(path.join(root, 'dist', js));
fs.writeFileSync(stamp, `${started}\n`);
