/** Every adaptation method by name (one file each); the trainer builds the one asked for. */
import type { Method } from '../config.ts';
import { adabn } from './adabn.ts';
import { jem } from './jem.ts';
import type { AdaptMethod, MethodContext } from './method.ts';
import { pseudoLabel } from './pseudo-label.ts';
import { sourceOnly } from './source-only.ts';
import { supervised } from './supervised.ts';
import { tent } from './tent.ts';
import { tea } from './tea.ts';
import { shotIm } from './shot-im.ts';
import { entropyCe } from './entropy-ce.ts';

export const METHOD_IMPLEMENTATIONS: Record<Method, (ctx: MethodContext) => AdaptMethod> = {
  'source-only': sourceOnly,
  adabn,
  tent,
  tea,
  'shot-im': shotIm,
  'entropy-ce': entropyCe,
  'pseudo-label': pseudoLabel,
  supervised,
  jem,
};

export function createMethod(method: Method, ctx: MethodContext): AdaptMethod {
  return METHOD_IMPLEMENTATIONS[method](ctx);
}
