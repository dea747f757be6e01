import type { CommandModule } from 'yargs';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.ts';
import { collectRecipeResults, recipeMarkdown } from '../../eval/recipe-table.ts';
import { ConfigError } from '../../util/errors.ts';
import { log } from '../../util/log.ts';

interface Args {
  exp: string;
  methods: string;
  devDomains: string;
  testDomains: string;
  seeds: string;
  oneSeed: string;
  outMd: string;
  outJson: string;
  oodScore: string;
  title?: string;
}

const split = (s: string) => s.split(/[\s,]+/).filter(Boolean);

export const command: CommandModule<object, Args> = {
  command: 'recipe-results',
  describe: 'Collect a recipe\'s method × domain × seed eval results into results.md and results.json (mean ± sd, dev/test blocks, collapse checks)',
  builder: (y) =>
    y
      .option('exp', { type: 'string', demandOption: true, describe: 'experiment root (holds <method>/<domain>/seed<N>/results/)' })
      .option('methods', { type: 'string', demandOption: true, describe: 'space- or comma-separated methods' })
      .option('dev-domains', { type: 'string', default: '', describe: 'target domains settings are chosen on' })
      .option('test-domains', { type: 'string', default: '', describe: 'target domains no choice looked at' })
      .option('seeds', { type: 'string', default: '1', describe: 'adaptation seeds of every method' })
      .option('one-seed', { type: 'string', default: 'source-only source-only.prior-match supervised', describe: 'methods run with the first seed only' })
      .option('out-md', { type: 'string', demandOption: true })
      .option('out-json', { type: 'string', demandOption: true })
      .option('ood-score', { type: 'string', default: 'px', choices: ['px', 'py', 'pxgrad'], describe: 'OOD score reported as auroc' })
      .option('title', { type: 'string' }) as never,
  handler: (a) => {
    const seeds = split(a.seeds).map(Number);
    if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s))) throw new ConfigError(`--seeds must be integers, got '${a.seeds}'`);
    const one = new Set(split(a.oneSeed));
    const domains = { dev: split(a.devDomains), test: split(a.testDomains) };
    if (domains.dev.length + domains.test.length === 0) throw new ConfigError('give --dev-domains and/or --test-domains');
    const t = collectRecipeResults(a.exp, split(a.methods), domains, (m) => (one.has(m) ? seeds.slice(0, 1) : seeds), a.oodScore);
    writeJsonAtomic(a.outJson, t);
    writeFileAtomic(a.outMd, recipeMarkdown(t, { title: a.title ?? `Results: ${a.exp}` }));
    log(`wrote ${a.outMd} and ${a.outJson}`);
  },
};
