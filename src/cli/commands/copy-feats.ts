/** `jemda copy-feats RSPEC WSPEC`: copy feature matrices between Kaldi archives (binary or text). */
import type { CommandModule } from 'yargs';
import { log } from '../../util/log.ts';
import { readMatrices } from '../../data/kaldi-read.ts';
import { openMatrixWriter } from '../../data/kaldi-write.ts';

interface Args {
  rspec: string;
  wspec: string;
  double: boolean;
}

export const command: CommandModule<object, Args> = {
  command: 'copy-feats <rspec> <wspec>',
  describe: 'Copy matrices: e.g. scp:feats.scp ark,t:-  or  ark:in.ark ark,scp:out.ark,out.scp',
  builder: (y) =>
    y
      .positional('rspec', { type: 'string', demandOption: true, describe: 'rspecifier (ark:f, scp:f, ark:-)' })
      .positional('wspec', { type: 'string', demandOption: true, describe: 'wspecifier (ark:f, ark,t:f, ark,scp:f.ark,f.scp, ark:-)' })
      .option('double', { type: 'boolean', default: false, describe: 'write double-precision matrices (DM); binary double inputs (DM) stay double anyway' }),
  handler: (a) => {
    const w = openMatrixWriter(a.wspec);
    let n = 0;
    try {
      for (const [key, m] of readMatrices(a.rspec)) {
        // binary doubles stay double (exact); everything else is float unless --double
        if (m.data64 && (m.stored === 'double' || a.double)) w.write(key, { rows: m.rows, cols: m.cols, data: m.data64 }, { double: true });
        else w.write(key, m, { double: a.double });
        n++;
      }
    } catch (e) {
      w.abort();
      throw e;
    }
    w.close();
    log(`copied ${n} matrices`);
  },
};
