#!/usr/bin/env node
// Test helper: run several `jemda` command lines in ONE process (saves ~1.5 s of start-up per
// command). Each runs through the real runCli() — same parsing, same error → exit-status mapping
// as scripts/jemda.mjs — with stdout/stderr captured. Usage: node cli-batch.mjs CMDS.json OUT.json
// where CMDS.json is a list of argv lists; OUT.json gets [{ code, out, err }] in the same order.
import * as fs from 'node:fs';
import { register } from 'tsx/esm/api';
register();
const { runCli } = await import('../../src/cli/index.ts');
const [cmdsFile, outFile] = process.argv.slice(2);
const cmds = JSON.parse(fs.readFileSync(cmdsFile, 'utf8'));
const results = [];
const origOut = process.stdout.write.bind(process.stdout);
const origErr = process.stderr.write.bind(process.stderr);
const argv0 = process.argv.slice(0, 2);
for (const argv of cmds) {
  let out = '', err = '';
  process.stdout.write = (c, ...r) => { out += String(c); return true; };
  process.stderr.write = (c, ...r) => { err += String(c); return true; };
  process.exitCode = 0;
  process.argv = [...argv0, ...argv];
  try {
    await runCli();
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
  results.push({ code: process.exitCode ?? 0, out, err });
}
process.exitCode = 0;
fs.writeFileSync(outFile, JSON.stringify(results));
