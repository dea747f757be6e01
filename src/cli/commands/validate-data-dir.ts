/** `jemda validate-data-dir DIR`: list every problem of a Kaldi data dir as file:line: message. */
import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../util/errors.ts';
import { loadModel } from '../../model/onnx-io.ts';
import { requireModelLabels } from '../../model/frontend.ts';
import { log } from '../../util/log.ts';
import { formatProblems, validateDataDir } from '../../data/validate.ts';

interface Args {
  dir: string;
  labels?: string;
  labelSet?: string;
  model?: string;
  checkFiles?: boolean;
}


function labelSetOf(a: Args): string[] | undefined {
  const given = [a.labels, a.labelSet, a.model].filter((x) => x !== undefined).length;
  if (given > 1) throw new ConfigError('give only one of --labels, --label-set, --model');
  if (a.model !== undefined) return requireModelLabels(loadModel(a.model), a.model);
  if (a.labelSet !== undefined) return a.labelSet.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (a.labels !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(a.labels, 'utf8');
    } catch (e) {
      throw new ConfigError(`--labels ${a.labels}: cannot read: ${(e as Error).message}`);
    }
    return text.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((s) => s !== undefined && s !== '');
  }
  return undefined;
}

export const command: CommandModule<object, Args> = {
  command: 'validate-data-dir <dir>',
  describe: 'Check a Kaldi data dir; print every problem as file:line: message (exit 1 if any)',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'data dir' })
      .option('labels', { type: 'string', describe: 'file with the allowed labels, one a line' })
      .option('label-set', { type: 'string', describe: 'allowed labels, comma separated' })
      .option('model', { type: 'string', describe: "ONNX model whose label list (metadata jemda.labels) gives the allowed labels" })
      .option('check-files', { type: 'boolean', default: true, describe: 'check that wav files and feature archives exist (--no-check-files to skip)' }),
  handler: (a) => {
    const problems = validateDataDir(a.dir, { labelSet: labelSetOf(a), checkFiles: a.checkFiles !== false });
    if (problems.length > 0) {
      process.stdout.write(formatProblems(problems) + '\n');
      log(`${a.dir}: ${problems.length} problem${problems.length > 1 ? 's' : ''}`);
      process.exitCode = 1;
    } else {
      log(`${a.dir}: OK`);
    }
  },
};
