/**
 * Control flow: If runs the branch its condition picks, through the importer's own executor
 * (OpCtx.runSubgraph), so ops inside a branch are the importer's ops. A condition computed from
 * shapes or constants is a ConstVal and the choice is made without reading any tensor (what
 * exporters emit, e.g. an If fed by GreaterOrEqual on a Shape); a data-dependent condition is read
 * back (one scalar) and only the chosen branch runs, so gradients flow through that branch.
 * Loop and Scan are not supported.
 */
import { attr } from '../onnx-io.ts';
import { fail, need, type OpImpl } from './op.ts';
import { isConst, size } from './value.ts';

const ifOp: OpImpl = (ctx) => {
  const c = need(ctx, 0);
  let cond: boolean;
  if (isConst(c)) {
    if (c.data.length !== 1) fail(ctx, `the condition must hold one value, got shape [${c.dims.join(', ')}]`);
    cond = c.data[0] !== 0;
  } else {
    if (size(c.shape) !== 1) fail(ctx, `the condition must hold one value, got shape [${c.shape.join(', ')}]`);
    cond = (c.dataSync() as ArrayLike<number | boolean>)[0] ? true : false;
  }
  const name = cond ? 'then_branch' : 'else_branch';
  const branch = attr(ctx.node, name)?.g;
  if (!branch) fail(ctx, `no ${name} graph attribute`);
  const outs = ctx.runSubgraph(branch);
  const want = (ctx.node.output ?? []).length;
  if (outs.length < want) fail(ctx, `${name} has ${outs.length} outputs, the node ${want}`);
  return outs;
};

export const controlFlowOps: Record<string, OpImpl> = {
  If: ifOp,
};
