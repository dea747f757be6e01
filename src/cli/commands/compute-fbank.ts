/** `jemda compute-fbank [opts] DATA [ARKDIR]`: Kaldi-compatible log-mel filterbanks of DATA/wav.scp into ARKDIR (default DATA/data) + DATA/feats.scp. */
import { featureCommand } from '../feature-command.ts';

export const command = featureCommand('fbank', 'Compute Kaldi-compatible log-mel filterbanks for a data dir (like make_fbank.sh)');
