/** Which initializers feed BatchNormalization nodes, by role. */
import type { NodeProto } from './onnx-io.ts';

/** Names fed to BatchNormalization as running statistics (mean, var: inputs 3, 4) and as affine parameters (scale, bias: inputs 1, 2). */
export function bnStatNames(nodes: NodeProto[]): { stats: Set<string>; affine: Set<string> } {
  const stats = new Set<string>();
  const affine = new Set<string>();
  for (const n of nodes) {
    if (n.opType !== 'BatchNormalization') continue;
    const i = n.input ?? [];
    if (i[1]) affine.add(i[1]);
    if (i[2]) affine.add(i[2]);
    if (i[3]) stats.add(i[3]);
    if (i[4]) stats.add(i[4]);
  }
  return { stats, affine };
}
