/**
 * Typed errors. Every error jemda raises on bad input is a JemdaError whose message names the
 * file, line, utterance or ONNX node at fault; the CLI prints `error: <message>` and exits 1.
 */
export class JemdaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A problem in a text file of a Kaldi data dir or a config file; `line` is 1-based. */
export class DataError extends JemdaError {
  constructor(readonly file: string, readonly line: number | undefined, message: string, options?: { cause?: unknown }) {
    super('E_DATA', `${file}${line !== undefined ? `:${line}` : ''}: ${message}`, options);
  }
}

/** Audio that cannot be read: names the utterance (when known) and the file or command. */
export class AudioError extends JemdaError {
  constructor(readonly source: string, message: string, readonly utt?: string, options?: { cause?: unknown }) {
    super('E_AUDIO', `${utt !== undefined ? `utterance ${utt} (${source})` : source}: ${message}`, options);
  }
}

/** Feature archives (ark/scp) that are malformed, or features with NaN/Inf. */
export class FeatureError extends JemdaError {
  constructor(readonly source: string, message: string, readonly utt?: string, options?: { cause?: unknown }) {
    super('E_FEATS', `${utt !== undefined ? `utterance ${utt} (${source})` : source}: ${message}`, options);
  }
}

/** ONNX files that are not ONNX, truncated, or graphs that cannot be imported. */
export class OnnxError extends JemdaError {
  constructor(message: string, readonly node?: { name: string; opType: string; index: number }, options?: { cause?: unknown }) {
    super('E_ONNX', node ? `node #${node.index} '${node.name}' (${node.opType}): ${message}` : message, options);
  }
}

/** An ONNX op the tfjs importer or the gradient-graph builder does not support. */
export class UnsupportedOpError extends OnnxError {
  constructor(node: { name: string; opType: string; index: number }, detail = 'op type is not supported') {
    super(`unsupported op '${node.opType}': ${detail}`, node);
  }
}

/** The model and the data do not fit together (dims, layout, sample rate, CMVN, labels). */
export class MismatchError extends JemdaError {
  constructor(message: string) {
    super('E_MISMATCH', message);
  }
}

/** Bad command-line or config values. */
export class ConfigError extends JemdaError {
  constructor(message: string) {
    super('E_CONFIG', message);
  }
}

/** Training or adaptation diverged more often than allowed. */
export class DivergenceError extends JemdaError {
  constructor(message: string) {
    super('E_DIVERGED', message);
  }
}
