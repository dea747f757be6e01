/**
 * A command's defaults are the configuration the README recommends: `jemda adapt --method M` with
 * no options resolves to exactly what the default recipe runs (recipes/synth_kws/conf/adapt_M.conf).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { parseKaldiConfig } from '../../src/util/config-file.ts';
import { METHODS, resolveConfig, type AdaptConfig } from '../../src/adapt/config.ts';

const CONF = path.resolve(import.meta.dirname, '../../recipes/synth_kws/conf');
const camel = (k: string) => k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** A recipe conf file as a Partial<AdaptConfig> (numbers where the default is a number). */
function recipeConf(method: string): Partial<AdaptConfig> {
  const base = resolveConfig({}) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parseKaldiConfig(path.join(CONF, `adapt_${method}.conf`)))) {
    const key = camel(k);
    out[key] = typeof base[key] === 'number' && typeof v === 'string' ? Number(v) : v;
  }
  return out as Partial<AdaptConfig>;
}

test('jemda adapt defaults per method = the recipe configuration (recipes/synth_kws/conf/adapt_<method>.conf)', () => {
  for (const m of METHODS) {
    assert.deepEqual(resolveConfig({}, m), resolveConfig(recipeConf(m)), `${m}: the defaults differ from conf/adapt_${m}.conf`);
  }
  // the JEM ablation is the recommended JEM with the energy weight at 0, nothing else changed
  assert.deepEqual(resolveConfig(recipeConf('jem.no-energy')), { ...resolveConfig({}, 'jem'), ebmWeight: 0 });
  // and the defaults are not the base ones (the test would pass trivially if methodDefaults were ignored)
  assert.notDeepEqual(resolveConfig({}, 'jem'), resolveConfig({}));
  // explicit options still win
  assert.equal(resolveConfig({ steps: 7 }, 'jem').steps, 7);
});
