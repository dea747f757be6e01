/** `jemda model-info MODEL [--json] [--logits NAME]`: what the model expects and what jemda would use. */
import type { CommandModule } from 'yargs';
import { loadModel } from '../../model/onnx-io.ts';
import { formatModelInfo, modelInfo } from '../../model/model-info.ts';
import { describeFrontEnd, opSupport, ortSessionError } from '../../model/op-support.ts';
import { modelFrontEnd } from '../../model/frontend.ts';
import { JemdaError } from '../../util/errors.ts';
import { readFrontEndFile } from '../model-files.ts';

interface Args {
  model: string;
  json: boolean;
  logits?: string;
  'frontend-config'?: string;
}

export const command: CommandModule<object, Args> = {
  command: 'model-info <model>',
  describe: 'Show inputs/outputs, op histogram, parameter count, opset, metadata, logits tensor and unsupported ops of an ONNX model',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'ONNX model file' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' })
      .option('logits', { type: 'string', describe: 'name of the logits tensor (default: input of a terminal Softmax/LogSoftmax)' })
      .option('frontend-config', { type: 'string', describe: 'front end as JSON, for a model without jemda.frontend metadata' }) as never,
  handler: async (a) => {
    const model = loadModel(a.model);
    const info = modelInfo(model, a.logits);
    let fe = null;
    try {
      fe = modelFrontEnd(model, a.model, a['frontend-config'] ? readFrontEndFile(a['frontend-config']) : undefined);
    } catch (e) {
      if (!(e instanceof JemdaError)) throw e; // no or malformed metadata: said in words below
    }
    const support = { ...opSupport(model, await ortSessionError(model)), frontEndNeeded: describeFrontEnd(fe) };
    process.stdout.write((a.json ? JSON.stringify({ ...info, support }, null, 2) : `${formatModelInfo(a.model, info)}\n${formatSupport(support)}`) + '\n');
  },
};

function formatSupport(s: ReturnType<typeof opSupport> & { frontEndNeeded: string }): string {
  const yes = (v: boolean | string) => (v === true || v === 'yes' ? 'yes' : v === false || v === 'no' ? 'NO' : String(v));
  const rows = s.ops.map((o) => [o.opType, String(o.count), yes(o.ortForward), yes(o.ortGradient), yes(o.tfjsForward), yes(o.tfjsGradient)]);
  const head = ['op', 'nodes', 'ort forward', 'ort gradient', 'tfjs forward', 'tfjs gradient'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd();
  const L = ['support by op type:', `  ${line(head)}`, ...rows.map((r) => `  ${line(r)}`)];
  if (s.ortError) L.push(`onnxruntime cannot load the model: ${s.ortError}`);
  L.push(s.unsupportedNodes.length === 0 ? 'unsupported nodes: none' : `unsupported nodes (${s.unsupportedNodes.length}):\n${s.unsupportedNodes.map((n) => `  ${n}`).join('\n')}`);
  L.push(`front end needed: ${s.frontEndNeeded}`);
  return L.join('\n');
}
