/**
 * Input and parameter gradients of the three reference models against central finite
 * differences on the cpu backend (see importer-grad-shared.ts for the method).
 */
import { before } from 'node:test';
import { selectBackend } from '../../src/model/backend.ts';
import { registerModelGradTests } from './importer-grad-shared.ts';

before(async () => {
  await selectBackend('cpu');
});

registerModelGradTests('cpu');
