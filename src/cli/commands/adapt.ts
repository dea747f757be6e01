/**
 * `jemda adapt --method M --model MODEL [--source DATA] --target DATA [--config FILE] [--resume]
 *  [--seed N] EXPDIR`: adapt a model to the target domain; writes EXPDIR/adapted.onnx,
 * metrics.jsonl, config.json and checkpoints/. Every adaptation option (see --help) can also be a
 * `--name=value` line of the Kaldi-style --config file. SIGINT/SIGTERM write a checkpoint and
 * exit with 130/143; `--resume` continues from the latest checkpoint.
 */
import type { CommandModule, Options } from 'yargs';
import { adapt } from '../../adapt/adapt.ts';
import { ENGINE_CHOICES, type EngineChoice } from '../../engine/resolve.ts';
import { defaultAdaptConfig, kebab, methodDefaults, METHODS, type AdaptConfig, type Method } from '../../adapt/config.ts';
import { configHelp } from '../../adapt/config-help.ts';
import { readFrontEndFile, readLabelsFile } from '../model-files.ts';
import { BACKENDS, tensorflowBackendInstalled, type BackendName } from '../../model/backend-state.ts';
import { ConfigError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

type Args = Record<string, unknown> & {
  expdir: string;
  method: Method;
  model: string;
  source?: string;
  target: string;
  resume: boolean;
  seed: number;
  'sampler-backend': 'ort' | 'tfjs';
  engine: EngineChoice;
  'frontend-config'?: string;
  labels?: string;
  logits?: string;
  threads?: number;
  workers?: number;
  'tfjs-backend'?: BackendName;
};

function configOptions(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [k, v] of Object.entries(defaultAdaptConfig)) {
    const type = typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'string';
    // the base default, and the methods whose recommended configuration differs from it
    const per = new Map<string, string[]>();
    for (const m of METHODS) {
      const mv = (methodDefaults[m] as Record<string, unknown>)[k];
      if (mv !== undefined && mv !== v) per.set(String(mv), [...(per.get(String(mv)) ?? []), m]);
    }
    const methods = [...per].map(([mv, ms]) => `${ms.join(', ')}: ${mv}`).join('; ');
    out[kebab(k)] = {
      type: k === 'sgldNoise' ? 'string' : type,
      describe: `${configHelp[k as keyof AdaptConfig]} (default ${String(v)}${methods ? `; ${methods}` : ''})`,
      group: 'Adaptation options:',
    };
  }
  return out;
}

export const command: CommandModule<object, Args> = {
  command: 'adapt <expdir>',
  describe: 'Adapt a model to a target domain (jem, adabn, tent, pseudo-label, supervised oracle, source-only)',
  builder: (y) =>
    y
      .positional('expdir', { type: 'string', demandOption: true, describe: 'experiment dir (adapted.onnx, metrics.jsonl, checkpoints/)' })
      .option('method', { choices: METHODS as unknown as string[], demandOption: true, describe: 'adaptation method' })
      .option('model', { type: 'string', demandOption: true, describe: 'source ONNX model' })
      .option('source', { type: 'string', describe: 'labeled source data dir (wav.scp + utt2label)' })
      .option('target', { type: 'string', demandOption: true, describe: 'target data dir (wav.scp; labels are read only by --method supervised)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue from the latest checkpoint in EXPDIR' })
      .option('seed', { type: 'number', default: 0, describe: 'random seed' })
      .option('sampler-backend', { choices: ['ort', 'tfjs'], default: 'ort', describe: 'SGLD backend: onnxruntime gradient graph or tfjs' })
      .option('engine', { choices: [...ENGINE_CHOICES], default: 'auto', describe: 'parameter-gradient engine: onnxruntime VJP graphs (ort) or tfjs; auto = tfjs on tfjs-node(-gpu), ort otherwise' })
      .option('frontend-config', { type: 'string', describe: 'JSON front end for models without jemda.frontend metadata' })
      .option('labels', { type: 'string', describe: 'label list file (one per line) for models without jemda.labels metadata' })
      .option('logits', { type: 'string', describe: 'name of the logits tensor (default: auto-detected)' })
      .option('threads', { type: 'number', describe: 'onnxruntime threads' })
      .option('workers', {
        type: 'number',
        describe: 'worker threads, one onnxruntime thread each, that run the eval-mode BatchNorm passes (SGLD chains, VJPs) on blocks of rows at the same time; < 2 = none (default: --threads when given, else the cores, at most 4)',
      })
      .option('tfjs-backend', { choices: BACKENDS as unknown as string[], describe: 'tfjs backend (default: best available)' })
      .options(configOptions()) as never,
  handler: async (a) => {
    const config: Partial<AdaptConfig> = {};
    for (const k of Object.keys(defaultAdaptConfig)) {
      const v = a[kebab(k)];
      if (v !== undefined) (config as Record<string, unknown>)[k] = v;
    }
    if (a.seed !== undefined && !Number.isInteger(a.seed)) throw new ConfigError(`--seed must be an integer (got ${a.seed})`);
    // tfjs (≈ 0.7 s to load and pick a backend) only when something may run on it: the tfjs engine
    // or sampler, a named tfjs backend, or --engine auto with libtensorflow (tfjs-node) installed
    // (auto then picks tfjs). Otherwise everything runs on onnxruntime and tfjs is never loaded.
    const engineChoice = a.engine ?? 'auto';
    if (engineChoice === 'tfjs' || a['sampler-backend'] === 'tfjs' || a['tfjs-backend'] !== undefined || (engineChoice === 'auto' && tensorflowBackendInstalled())) {
      const { selectBackend } = await import('../../model/backend.ts');
      await selectBackend(a['tfjs-backend']);
    }
    const out = await adapt({
      method: a.method,
      modelPath: a.model,
      sourceDir: a.source,
      targetDir: a.target,
      expDir: a.expdir,
      config,
      resume: a.resume,
      seed: a.seed,
      samplerBackend: a['sampler-backend'],
      engine: a.engine,
      frontEnd: a['frontend-config'] ? readFrontEndFile(a['frontend-config']) : undefined,
      labels: a.labels ? readLabelsFile(a.labels) : undefined,
      logits: a.logits,
      threads: a.threads,
      workers: a.workers,
    });
    if (out.result.interrupted) {
      log(`stopped at step ${out.result.steps}; rerun with --resume to continue`);
      process.exitCode = 130;
    }
  },
};
