#!/usr/bin/env node
// Entry point of the `jemda` command: TypeScript sources run through tsx's loader.
import { register } from 'tsx/esm/api';
register();
const { runCli } = await import('../src/cli/index.ts');
await runCli();
