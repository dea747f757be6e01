/** Public API of src/features (re-exports; import the files directly inside src/features). */
export { type Matrix, makeMatrix, firstNonFinite } from './matrix.ts';
export {
  type MfccOptions, type FbankOptions, type FrameOptions, type MelOptions, type WindowType, type SpectrumBackend,
  MFCC_DEFAULTS, FBANK_DEFAULTS, resolveOptions, frameGeometry,
} from './options.ts';
export { computeMfcc, computeFbank, computeFeatures, featureDim, INT16_SCALE } from './extract.ts';
export { cmvnStats, accumulate, applyCmvn, applyMeanStd, perUttCmvn, cmvnMeanStd, emptyCmvnStats, statsToMatrix, statsFromMatrix } from './cmvn.ts';
export { spliceFrames } from './splice.ts';
export { fitToFrames, type PadMode } from './fit-frames.ts';
export { frontEndInput, frontEndInputFromFeats, type ModelInput } from './frontend-apply.ts';
export { makeFeats, listUttJobs, type MakeFeatsOptions, type MakeFeatsResult } from './make-feats.ts';
export { computeCmvnStatsForDir, applyCmvnTables, type CmvnMode, GLOBAL_KEY } from './cmvn-data.ts';
export { benchMfcc } from './bench.ts';
