/**
 * The files a command reads beside a model: a front-end config (JSON, src/model/frontend.ts) and a
 * labels file (one label per line). Shared by adapt, eval, sample, model-info and compute-feats;
 * kept apart from the command modules so that importing one command never loads another's
 * dependencies (e.g. tfjs for adapt's tfjs engine).
 */
import * as fs from 'node:fs';
import { parseFrontEnd, type FrontEnd } from '../model/frontend.ts';
import { DataError } from '../util/errors.ts';

export function readLabelsFile(file: string): string[] {
  if (!fs.existsSync(file)) throw new DataError(file, undefined, 'labels file not found');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function readFrontEndFile(file: string): FrontEnd {
  if (!fs.existsSync(file)) throw new DataError(file, undefined, 'front-end config not found');
  return parseFrontEnd(fs.readFileSync(file, 'utf8'), file);
}
