/**
 * Pass rates of ONNX backend node tests per op family of the tfjs importer (`jemda onnx-test
 * --summary FILE`): each test is put under the family (src/model/ops/<family>.ts) of the ops its
 * graph uses, `not in the importer` when one of them is not implemented, `function-expanded` for
 * the `*_expanded` tests (an op written out as other ops) and `mixed` when its ops come from
 * several families. The tfjs column counts the tests onnxruntime passes, as the target does.
 * Ops the importer leaves out on purpose (LEFT_OUT, README says why) and ops of other domains make
 * a row of their own that the total does not count.
 */
import type { ModelProto, NodeProto } from './onnx-io.ts';
import type { TestOutcome } from './onnx-expected-failures.ts';
import { opFamily } from './ops/index.ts';

/** Ops the tfjs importer leaves out on purpose: integer-quantized and string ops, detection ops, BitShift, Unique. */
export const LEFT_OUT: ReadonlySet<string> = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'QLinearConv', 'QLinearMatMul', 'ConvInteger', 'MatMulInteger',
  'StringNormalizer', 'StringConcat', 'StringSplit', 'RegexFullMatch', 'LabelEncoder',
  'NonMaxSuppression', 'RoiAlign', 'BitShift', 'Unique',
]);
const LEFT_OUT_FAMILY = 'left out (quantized, string, detection ops, BitShift, Unique; other domains)';

export interface FamilyRow {
  family: string;
  /** Op types seen in the family's tests (for `not in the importer`: the missing ones). */
  ops: string[];
  tests: number;
  ortPass: number;
  /** tfjs passes among the tests onnxruntime passes. */
  tfjsPassOfOrt: number;
}

/** Op types of a graph's nodes, subgraphs (If branches, Loop bodies) included; default domain only. */
export function graphOpTypes(model: ModelProto): string[] {
  const out = new Set<string>();
  const visit = (nodes: NodeProto[]): void => {
    for (const n of nodes) {
      const d = n.domain ?? '';
      out.add(d === '' || d === 'ai.onnx' ? (n.opType ?? '') : `${d}.${n.opType ?? ''}`);
      for (const a of n.attribute ?? []) for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) visit(g.node ?? []);
    }
  };
  visit(model.graph?.node ?? []);
  return [...out].sort();
}

/** The family a test belongs to, and the ops that put it there. */
export function testFamily(test: string, opTypes: string[]): { family: string; ops: string[] } {
  const missing = opTypes.filter((o) => opFamily(o) === undefined);
  if (missing.length > 0 && missing.every((o) => LEFT_OUT.has(o) || o.includes('.'))) return { family: LEFT_OUT_FAMILY, ops: missing };
  if (missing.length > 0) return { family: 'not in the importer', ops: missing.filter((o) => !LEFT_OUT.has(o) && !o.includes('.')) };
  if (test.endsWith('_expanded')) return { family: 'function-expanded', ops: [] };
  const fams = [...new Set(opTypes.map((o) => opFamily(o) as string))];
  if (fams.length === 1) return { family: fams[0]!, ops: opTypes };
  return { family: 'mixed', ops: [] };
}

/** One row per family, largest first; `opsOf` gives a test's op types. */
export function summarizeByFamily(outcomes: TestOutcome[], opsOf: (test: string) => string[]): FamilyRow[] {
  const ort = new Map(outcomes.filter((o) => o.executor === 'ort').map((o) => [o.test, o.pass]));
  const tfjs = new Map(outcomes.filter((o) => o.executor === 'tfjs').map((o) => [o.test, o.pass]));
  const rows = new Map<string, FamilyRow & { opSet: Set<string> }>();
  for (const test of new Set(outcomes.map((o) => o.test))) {
    const { family, ops } = testFamily(test, opsOf(test));
    let r = rows.get(family);
    if (!r) rows.set(family, (r = { family, ops: [], tests: 0, ortPass: 0, tfjsPassOfOrt: 0, opSet: new Set() }));
    r.tests++;
    for (const o of ops) r.opSet.add(o);
    if (ort.get(test) === true) {
      r.ortPass++;
      if (tfjs.get(test) === true) r.tfjsPassOfOrt++;
    }
  }
  return [...rows.values()]
    .map(({ opSet, ...r }) => ({ ...r, ops: [...opSet].sort() }))
    .sort((a, b) => b.tests - a.tests || (a.family < b.family ? -1 : 1));
}

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)} %`);

/** The Markdown table of summarizeByFamily, with a total row; `title` names the run. */
export function familyTableMarkdown(rows: FamilyRow[], title: string): string {
  const t = rows
    .filter((r) => r.family !== LEFT_OUT_FAMILY)
    .reduce((a, r) => ({ tests: a.tests + r.tests, ortPass: a.ortPass + r.ortPass, tfjs: a.tfjs + r.tfjsPassOfOrt }), { tests: 0, ortPass: 0, tfjs: 0 });
  const lines = [
    `${title}`,
    '',
    '| op family (src/model/ops/) | node tests | onnxruntime passes | tfjs importer passes (of those) | tfjs rate |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => {
      const name = r.family === 'not in the importer' || r.family === LEFT_OUT_FAMILY ? `${r.family}: ${r.ops.join(', ')}` : r.family;
      return `| ${name} | ${r.tests} | ${r.ortPass} | ${r.tfjsPassOfOrt} | ${pct(r.tfjsPassOfOrt, r.ortPass)} |`;
    }),
    `| **all but the left-out row** | ${t.tests} | ${t.ortPass} | ${t.tfjs} | ${pct(t.tfjs, t.ortPass)} |`,
  ];
  return lines.join('\n') + '\n';
}
