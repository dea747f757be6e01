import type { CommandModule } from 'yargs';
import { writeFileAtomic, writeJsonAtomic } from '../../util/atomic.ts';
import { collectRecipeResults, recipeMarkdown } from '../../eval/recipe-table.ts';
import { log } from '../../util/log.ts';

interface Args {
  exp: string;
  methods: string;
  domains: string;
  outMd: string;
  outJson: string;
  oodScore: string;
  title?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'recipe-results',
  describe: 'Collect a recipe\'s per-method, per-domain eval results into results.md and results.json',
  builder: (y) =>
    y
      .option('exp', { type: 'string', demandOption: true, describe: 'experiment root (holds <method>/<domain>/results/)' })
      .option('methods', { type: 'string', demandOption: true, describe: 'space- or comma-separated methods' })
      .option('domains', { type: 'string', demandOption: true, describe: 'space- or comma-separated target domains' })
      .option('out-md', { type: 'string', demandOption: true })
      .option('out-json', { type: 'string', demandOption: true })
      .option('ood-score', { type: 'string', default: 'px', choices: ['px', 'py', 'pxgrad'], describe: 'OOD score reported as auroc' })
      .option('title', { type: 'string' }) as never,
  handler: (a) => {
    const split = (s: string) => s.split(/[\s,]+/).filter(Boolean);
    const t = collectRecipeResults(a.exp, split(a.methods), split(a.domains), a.oodScore);
    writeJsonAtomic(a.outJson, t.results);
    writeFileAtomic(a.outMd, recipeMarkdown(t, { title: a.title ?? `Results: ${a.exp}` }));
    log(`wrote ${a.outMd} and ${a.outJson}`);
  },
};
