/**
 * Build one of jemda's architectures by name from a config object (JSON file, or Kaldi-style
 * `--key=value` lines: `--channels=16,32,64`, `--layers=5:1,3:2,3:3,1:1`, `--hidden=128`).
 */
import * as fs from 'node:fs';
import type { ModelProto } from '../onnx-io.ts';
import type { FrontEnd } from '../frontend.ts';
import { ConfigError, DataError } from '../../util/errors.ts';
import { parseKaldiConfigText } from '../../util/config-file.ts';
import { kwsCnn, KWS_CNN_DEFAULTS } from './kws-cnn.ts';
import { tdnn, TDNN_DEFAULTS } from './tdnn.ts';
import { splicedMlp, MLP_DEFAULTS } from './mlp.ts';
import { defaultFrontEnd, DEFAULT_KWS_LABELS } from './common.ts';

export { kwsCnn, tdnn, splicedMlp, defaultFrontEnd, DEFAULT_KWS_LABELS };
export type { KwsCnnConfig } from './kws-cnn.ts';
export type { TdnnConfig } from './tdnn.ts';
export type { MlpConfig } from './mlp.ts';

export type Arch = 'kws-cnn' | 'tdnn' | 'mlp';
export const ARCHS: Arch[] = ['kws-cnn', 'tdnn', 'mlp'];

export function archLayout(arch: Arch): FrontEnd['layout'] {
  return arch === 'kws-cnn' ? 'B1TF' : arch === 'tdnn' ? 'BFT' : 'BTF';
}

export function archDefaults(arch: Arch): Record<string, unknown> {
  return structuredClone(arch === 'kws-cnn' ? KWS_CNN_DEFAULTS : arch === 'tdnn' ? TDNN_DEFAULTS : MLP_DEFAULTS) as Record<string, unknown>;
}

/** Build `arch` with `overrides` on top of its defaults. */
export function buildModel(arch: Arch, overrides: Record<string, unknown>, frontEnd: FrontEnd, labels: string[], seed = 0): ModelProto {
  const cfg = { ...archDefaults(arch), ...overrides, frontEnd, labels, seed };
  switch (arch) {
    case 'kws-cnn':
      return kwsCnn(cfg as unknown as Parameters<typeof kwsCnn>[0]);
    case 'tdnn':
      return tdnn(cfg as unknown as Parameters<typeof tdnn>[0]);
    case 'mlp':
      return splicedMlp(cfg as unknown as Parameters<typeof splicedMlp>[0]);
    default:
      throw new ConfigError(`unknown architecture '${String(arch)}' (expected ${ARCHS.join(', ')})`);
  }
}

/** Parse an architecture config: JSON object, or Kaldi-style lines. */
export function parseArchConfig(text: string, source: string): Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch (e) {
      throw new DataError(source, undefined, `not valid JSON (${(e as Error).message})`);
    }
  }
  const kv = parseKaldiConfigText(text, source);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kv)) {
    const key = k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    out[key] = parseValue(String(v), source, k);
  }
  return out;
}

function parseValue(v: string, source: string, key: string): unknown {
  if (v === 'true' || v === 'false') return v === 'true';
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (v.includes(':')) {
    return v.split(',').map((p) => {
      const parts = p.split(':').map(Number);
      if (parts.length !== 2 || parts.some((n) => !Number.isFinite(n))) throw new DataError(source, undefined, `--${key}: bad 'kernel:dilation' list '${v}'`);
      return parts;
    });
  }
  if (v.includes(',')) {
    const nums = v.split(',').map(Number);
    if (nums.some((n) => !Number.isFinite(n))) throw new DataError(source, undefined, `--${key}: bad number list '${v}'`);
    return nums;
  }
  return v;
}

export function loadArchConfig(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, undefined, `cannot read (${(e as Error).message})`);
  }
  return parseArchConfig(text, file);
}
