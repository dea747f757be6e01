/** `jemda compute-mfcc [opts] DATA [ARKDIR]`: Kaldi-compatible MFCCs of DATA/wav.scp into ARKDIR (default DATA/data) + DATA/feats.scp. */
import { featureCommand } from '../feature-command.ts';

export const command = featureCommand('mfcc', 'Compute Kaldi-compatible MFCCs for a data dir (like make_mfcc.sh)');
