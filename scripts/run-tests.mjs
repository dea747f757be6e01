#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's built-in test runner (through tsx's loader).
// Usage: node scripts/run-tests.mjs [substring filter...]   (without filters: all but test/integration/)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.test.ts') ? [path.join(dir, d.name)] : [],
  );
}
// test/integration/ (the recipe on a real Slurm) runs as its own CI step (npm run test:integration),
// so that npm test stays within a few minutes; a filter naming it runs it here too.
const filters = process.argv.slice(2);
// The end-to-end recipe runs take minutes: they start first, so that the other files run beside
// them on the second slot instead of after them.
const e2eFirst = (f) => (f.startsWith(path.join('test', 'e2e')) ? 0 : 1);
const files = walk('test')
  .sort((a, b) => e2eFirst(a) - e2eFirst(b) || (a < b ? -1 : a > b ? 1 : 0))
  .filter((f) => (filters.length === 0 ? !f.startsWith(path.join('test', 'integration')) : filters.some((s) => f.includes(s))));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, JEMDA_NO_PROGRESS: '1' },
});
process.exit(r.status ?? 1);
