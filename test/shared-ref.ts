/**
 * ../shared/reference beside the repository (independent references: torchaudio MFCC vectors,
 * PyTorch-exported ONNX models). Resolved from this file, so it works in any clone location.
 */
import * as path from 'node:path';

export const SHARED_REFERENCE = path.resolve(import.meta.dirname, '../../shared/reference');
export const ONNX_REF = path.join(SHARED_REFERENCE, 'onnx');
export const MFCC_REF = path.join(SHARED_REFERENCE, 'mfcc');
