/**
 * The `jemda` command-line tool. Every file in ./commands/ exports a yargs CommandModule as
 * `command`; they are registered in alphabetical order. Errors derived from JemdaError are
 * printed as `jemda: error: <message>` with exit status 1; anything else is a bug and gets a
 * stack trace (exit 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { JemdaError } from '../util/errors.ts';
import { parseKaldiConfig } from '../util/config-file.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Command modules, one file per command named like the command. When the first argument names a
 * command, only that file is imported (start-up stays fast and one command's heavy dependencies,
 * e.g. tfjs, are not loaded by the others); otherwise (help, typos) all of them are.
 */
export async function loadCommands(only?: string): Promise<CommandModule[]> {
  const dir = path.join(here, 'commands');
  // .ts when running from the sources, .js from the compiled dist/ (scripts/jemda.mjs picks)
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  let files = fs.readdirSync(dir).filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts')).sort();
  if (only && files.includes(`${only}${ext}`)) files = [`${only}${ext}`];
  const mods: CommandModule[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { command?: CommandModule };
    if (mod.command) mods.push(mod.command);
  }
  return mods;
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let app = yargs(argv)
    .scriptName('jemda')
    .usage('$0 <command> [options]\n\nAdapt a pretrained ONNX speech classifier to a new domain with a Joint Energy Model.')
    .parserConfiguration({ 'camel-case-expansion': true })
    // A repeated option takes its last value (Kaldi's convention: a recipe appends overrides to its
    // defaults); options and positionals declared as arrays keep every value.
    .middleware((argv) => {
      const arrays = new Set((app as unknown as { getOptions(): { array: string[] } }).getOptions().array);
      for (const [k, v] of Object.entries(argv)) if (Array.isArray(v) && k !== '_' && !arrays.has(k)) (argv as Record<string, unknown>)[k] = v[v.length - 1];
    }, true)
    .config('config', 'Kaldi-style config file: one --option=value per line', parseKaldiConfig)
    .strict()
    .demandCommand(1, 'give a command; see jemda --help')
    .recommendCommands()
    .version(readVersion())
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  const first = argv.find((a) => !a.startsWith('-'));
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  for (const c of await loadCommands(wantsHelp && first === undefined ? undefined : first)) app = app.command(c);
  await app.parseAsync();
}

class UsageError extends Error {}

function readVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(here, '../../package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function runCli(): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UsageError || (e as Error)?.name === 'YError') {
      // YError: yargs' own errors, e.g. a --config file that cannot be read or parsed (its message names the file and line).
      process.stderr.write(`jemda: ${(e as Error).message}\nRun 'jemda --help' for usage.\n`);
      process.exitCode = 1;
    } else if (e instanceof JemdaError) {
      process.stderr.write(`jemda: error: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`jemda: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 2;
    }
  }
}
