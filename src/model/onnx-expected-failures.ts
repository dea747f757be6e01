/**
 * The expected-failure list of ONNX backend node tests (`jemda onnx-test --expected FILE`,
 * written by `--write-expected FILE`): one line per test that fails on an executor,
 *
 *     <executor> <test name> <reason>
 *
 * (fields separated by blanks, the reason is the rest of the line, `#` starts a comment line).
 * The reason is `<category>: <detail>` (e.g. `unsupported op: Split`), derived from the runner's
 * results by failureReason; it documents the line and is not compared. The check: every test run
 * that is not listed must pass on that executor, and every listed test that is run must still fail
 * (the list may only shrink); listed tests that are not run are not judged.
 */
import { DataError } from '../util/errors.ts';
import type { Executor, SetResult } from './onnx-test-runner.ts';

/** One (test, executor) pair of a run: its sets folded together. */
export interface TestOutcome {
  test: string;
  executor: Executor;
  pass: boolean;
  /** failureReason of the failing sets; undefined when it passes. */
  reason?: string;
  /** The runner's own words for the first failing set (error or per-output deviations). */
  detail?: string;
}

export interface ExpectedFailure {
  executor: Executor;
  test: string;
  reason: string;
  /** 1-based line in the list file. */
  line: number;
}

export interface ExpectedCheck {
  /** Failures that are not in the list. */
  unexpected: TestOutcome[];
  /** Listed failures that now pass: their lines must go. */
  nowPassing: ExpectedFailure[];
  /** Listed failures that still fail. */
  stillFailing: number;
}

const key = (executor: Executor, test: string): string => `${executor} ${test}`;

/** ONNX TensorProto.DataType names. */
const ONNX_TYPES: Record<number, string> = {
  0: 'undefined', 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};
const typeName = (n: string): string => ONNX_TYPES[Number(n)] ?? `ONNX type ${n}`;

const QUANTIZED_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger']);
const STRING_OPS = new Set(['StringNormalizer', 'StringConcat', 'StringSplit', 'RegexFullMatch', 'LabelEncoder']);

/** The first line of a message, trimmed. */
function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

function clip(s: string, n = 100): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** `<category>: <detail>` for an error message of the runner. */
function errorReason(executor: Executor, error: string): string {
  const msg = firstLine(error);
  let m: RegExpMatchArray | null;
  if (msg.startsWith('test data: ')) {
    if ((m = msg.match(/data type (\d+) is not supported/)) && m[1] !== '0') return `test data: ${typeName(m[1]!)} tensors not read`;
    // A SequenceProto / OptionalProto / MapProto read as a TensorProto: its name shows up as dims.
    return 'test data: not a tensor (sequence, optional or map), not read';
  }
  if ((m = msg.match(/unsupported op '([^']+)': (.*)$/))) {
    const [, op, detail] = m as unknown as [string, string, string];
    const more = detail.match(/\(and \d+ more unsupported node\(s\): ([^)]*)\)/);
    const ops = more ? [...new Set(more[1]!.split(', '))] : [op];
    if (!detail.startsWith('op type is not supported')) return `unsupported case: ${op}: ${clip(detail.replace(/ \(and \d+ more.*$/, ''), 80)}`;
    if (ops.some((o) => QUANTIZED_OPS.has(o))) return `quantized integer op: ${ops.join(', ')}`;
    if (ops.some((o) => STRING_OPS.has(o))) return `string op: ${ops.join(', ')}`;
    if (ops.some((o) => o.startsWith('ai.onnx.preview.training'))) return `training op: ${ops.join(', ')}`;
    return `unsupported op: ${ops.join(', ')}`;
  }
  if (executor === 'ort') {
    if ((m = msg.match(/Could not find an implementation for (\S+\(\d+\))/))) return `not implemented: ${m[1]} for these types`;
    if ((m = msg.match(/(\S+) is not a registered function\/op/))) return `unregistered op: ${m[1]}`;
    if ((m = msg.match(/Unsupported data type: (\d+)/))) return `unsupported type: ${typeName(m[1]!)} (onnxruntime-node)`;
    if ((m = msg.match(/was false\. (.*)$/))) return `runtime error: ${clip(m[1]!.split('. ')[0]!)}`;
    return `runtime error: ${clip(msg.replace(/^Error: /, ''))}`;
  }
  return `error: ${clip(msg)}`;
}

/** The category and detail of a failing (test, executor): the first failing set decides. */
export function failureReason(results: SetResult[]): string {
  const bad = results.find((r) => !r.pass);
  if (!bad) return 'passes';
  if (bad.error !== undefined) return errorReason(bad.executor, bad.error);
  const outs = bad.outputs.filter((o) => !o.pass);
  const shape = outs.filter((o) => o.detail?.startsWith('shape'));
  if (shape.length > 0) return `shape mismatch: ${shape.map((o) => o.output).join(', ')}`;
  if (outs.length > 0) return `mismatch: ${outs.map((o) => o.output).join(', ')} beyond tolerance`;
  return 'no outputs compared';
}

function describe(r: SetResult): string {
  if (r.error !== undefined) return firstLine(r.error);
  return r.outputs
    .filter((o) => !o.pass)
    .map((o) => `${o.output} max_abs=${o.maxAbs.toExponential(2)} max_rel=${o.maxRel.toExponential(2)}${o.detail ? ` (${o.detail})` : ''}`)
    .join('; ');
}

/** Folds the runner's per-set results into one outcome per (test, executor), in first-seen order. */
export function testOutcomes(results: SetResult[]): TestOutcome[] {
  const groups = new Map<string, SetResult[]>();
  for (const r of results) {
    const k = key(r.executor, r.test);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => {
    const { test, executor } = g[0]!;
    const bad = g.find((r) => !r.pass);
    return bad ? { test, executor, pass: false, reason: failureReason(g), detail: `${bad.set}: ${describe(bad)}` } : { test, executor, pass: true };
  });
}

/** Parses a list file's text; a malformed line, an unknown executor or a repeated entry is a DataError naming the line. */
export function parseExpectedFailures(text: string, file: string): Map<string, ExpectedFailure> {
  const out = new Map<string, ExpectedFailure>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = line.match(/^(\S+)\s+(\S+)\s+(\S.*)$/);
    if (!m) throw new DataError(file, i + 1, `expected '<executor> <test> <reason>', got '${clip(line, 60)}'`);
    const [, executor, test, reason] = m as unknown as [string, string, string, string];
    if (executor !== 'ort' && executor !== 'tfjs') throw new DataError(file, i + 1, `executor must be ort or tfjs, got '${executor}'`);
    const k = key(executor, test);
    const prev = out.get(k);
    if (prev) throw new DataError(file, i + 1, `${executor} ${test} is listed twice (also on line ${prev.line})`);
    out.set(k, { executor, test, reason, line: i + 1 });
  });
  return out;
}

/** Compares a run with the list. Listed tests that were not run are not judged. */
export function checkExpected(outcomes: TestOutcome[], expected: Map<string, ExpectedFailure>): ExpectedCheck {
  const res: ExpectedCheck = { unexpected: [], nowPassing: [], stillFailing: 0 };
  for (const o of outcomes) {
    const listed = expected.get(key(o.executor, o.test));
    if (!o.pass && !listed) res.unexpected.push(o);
    else if (o.pass && listed) res.nowPassing.push(listed);
    else if (listed) res.stillFailing++;
  }
  return res;
}

/** One message per problem of a check: the test, the executor, why, and what to do. */
export function checkMessages(c: ExpectedCheck, file: string): string[] {
  return [
    ...c.unexpected.map((o) => `new failure: ${o.executor} ${o.test} (${o.reason}): ${o.detail} — fix it, or list it in ${file} as '${o.executor} ${o.test} ${o.reason}'`),
    ...c.nowPassing.map((e) => `now passes: ${e.executor} ${e.test} is listed in ${file}:${e.line} as an expected failure (${e.reason}): remove its line`),
  ];
}

const HEADER = [
  '# ONNX backend node tests (Debian libonnx-testdata, /usr/share/libonnx-testdata/data/node) that are expected',
  '# to fail: <executor> <test> <category>: <detail>. Checked in CI by `jemda onnx-test DIR --expected FILE`:',
  '# a test not listed here must pass, a listed one must still fail (remove its line when it passes).',
  '# Written by `jemda onnx-test DIR --write-expected FILE`; do not edit by hand except to remove lines.',
];

/**
 * The list file's text for a run: its failures, plus the lines of `previous` for tests this run did
 * not cover (so that a partial run does not drop them); sorted by executor, then test.
 */
export function formatExpectedFailures(outcomes: TestOutcome[], previous?: Map<string, ExpectedFailure>): string {
  const ran = new Set(outcomes.map((o) => key(o.executor, o.test)));
  const rows: { executor: Executor; test: string; reason: string }[] = outcomes.filter((o) => !o.pass).map((o) => ({ executor: o.executor, test: o.test, reason: o.reason ?? 'fails' }));
  for (const e of previous?.values() ?? []) if (!ran.has(key(e.executor, e.test))) rows.push(e);
  rows.sort((a, b) => (a.executor === b.executor ? (a.test < b.test ? -1 : a.test > b.test ? 1 : 0) : a.executor < b.executor ? -1 : 1));
  return [...HEADER, ...rows.map((r) => `${r.executor} ${r.test} ${r.reason}`)].join('\n') + '\n';
}

/** Pass counts per executor: ort passed of all tests; tfjs passed of all, and of the tests ort passes. */
export function passCounts(outcomes: TestOutcome[]): { tests: number; ortPass: number; tfjsPass: number; tfjsPassOfOrtPass: number; tfjsRun: number; ortRun: number } {
  const ort = new Map(outcomes.filter((o) => o.executor === 'ort').map((o) => [o.test, o.pass]));
  const tfjs = outcomes.filter((o) => o.executor === 'tfjs');
  return {
    tests: new Set(outcomes.map((o) => o.test)).size,
    ortRun: ort.size,
    ortPass: [...ort.values()].filter(Boolean).length,
    tfjsRun: tfjs.length,
    tfjsPass: tfjs.filter((o) => o.pass).length,
    tfjsPassOfOrtPass: tfjs.filter((o) => o.pass && ort.get(o.test) === true).length,
  };
}
