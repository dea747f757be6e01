/**
 * Input and parameter gradients of the three reference models against central finite
 * differences on the cpu backend (see importer-grad-shared.ts for the method).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { checkModelGrads, MODELS } from './importer-grad-shared.ts';

before(async () => {
  await selectBackend('cpu');
});

for (const m of MODELS) {
  test(`[cpu] ${m}: input and parameter gradients match central differences (rel <= 1e-2)`, (t) => {
    const checks = checkModelGrads(m, { batch: m.startsWith('mlp') ? undefined : 1, frames: m.startsWith('tdnn') ? 40 : undefined });
    const worst = Math.max(...checks.map((c) => c.relErr));
    t.diagnostic(`${m}: worst rel err ${worst.toExponential(2)}; ${checks.map((c) => `${c.what} ${c.relErr.toExponential(1)}`).join(', ')}`);
    for (const c of checks) assert.ok(c.relErr <= 1e-2, `${c.what}: analytic ${c.analytic} vs FD ${c.fd} (eps ${c.eps}, rel ${c.relErr})`);
  });
}
