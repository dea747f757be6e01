/** tfjs backend selection. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, skipped } from '../../src/model/backend.ts';
import { ConfigError } from '../../src/util/errors.ts';

test('a preferred backend that is not installed is an error with the reason; cpu always works', async () => {
  let nodeInstalled = true;
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch {
    nodeInstalled = false; // optional dependency absent: expected on most machines
  }
  if (!nodeInstalled) {
    await assert.rejects(selectBackend('tensorflow'), (e: unknown) => e instanceof ConfigError && /tensorflow/.test(e.message));
    assert.equal(skipped[0]?.backend, 'tensorflow');
    assert.ok(skipped[0]!.reason.length > 0);
  }
  assert.equal(await selectBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  await assert.rejects(selectBackend('metal' as never), ConfigError);
});
