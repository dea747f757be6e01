/** Builds small ONNX models for importer tests. */
import { floatTensor, int64Tensor, onnx, type ModelProto } from '../../src/model/onnx-io.ts';

/** A one-graph model from nodes, float initializers and a float input of the given dims. */
export function tinyModel(
  nodes: { op: string; name: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | number[] | string> }[],
  inits: Record<string, { dims: number[]; data: number[]; int64?: boolean }>,
  input: { name: string; dims: number[] },
  outputs: string[],
  opset = 13,
): ModelProto {
  const vi = (name: string, dims?: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: 1, shape: dims ? { dim: dims.map((d) => ({ dimValue: d })) } : undefined } },
    });
  return onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes.map((n) =>
        onnx.NodeProto.create({
          opType: n.op,
          name: n.name,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attrs ?? {}).map(([k, v]) =>
            typeof v === 'string'
              ? { name: k, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v) }
              : Array.isArray(v)
              ? { name: k, type: onnx.AttributeProto.AttributeType.INTS, ints: v }
              : Number.isInteger(v)
                ? { name: k, type: onnx.AttributeProto.AttributeType.INT, i: v }
                : { name: k, type: onnx.AttributeProto.AttributeType.FLOAT, f: v },
          ),
        }),
      ),
      initializer: Object.entries(inits).map(([k, v]) => (v.int64 ? int64Tensor(k, v.dims, v.data) : floatTensor(k, v.dims, v.data))),
      input: [vi(input.name, input.dims)],
      output: outputs.map((o) => vi(o)),
    },
  });
}

