/**
 * Import rules of src/ (docs: ARCHITECTURE.md, "Layout"), checked by `npm run lint:deps` and CI.
 *
 * - no circular imports;
 * - layers: each folder of src/ may import only the folders above it in LAYERS (and itself);
 * - nothing outside src/cli imports yargs or src/cli/.
 *
 * Type-only imports count (tsPreCompilationDeps). Worker entry points started through
 * `new URL('./x-worker.ts', import.meta.url)` are not imports and are not seen.
 */
/** src/ folders, lowest first: a folder may import only the ones before it. */
const LAYERS = ['util', 'audio', 'data', 'features', 'corpus', 'model', 'engine', 'jem', 'train', 'adapt', 'eval', 'bench', 'cli'];

const layerRules = LAYERS.slice(0, -1).map((folder, i) => ({
  name: `layer-${folder}`,
  comment: `src/${folder}/ may import only ${LAYERS.slice(0, i).map((f) => `src/${f}/`).join(', ') || 'nothing else in src/'} (and itself), not ${LAYERS.slice(i + 1).map((f) => `src/${f}/`).join(', ')}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a module must not import itself through a cycle',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'src-folders-known',
      comment: `every module of src/ that imports anything lies in one of the layer folders (${LAYERS.join(', ')}), so the layer rules see it`,
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${LAYERS.join('|')})/` },
      to: {},
    },
    {
      name: 'yargs-only-in-cli',
      comment: 'nothing below src/cli/ imports yargs',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '(^|/)node_modules/(@types/)?yargs(-parser)?/' },
    },
    {
      name: 'cli-only-from-cli',
      comment: 'nothing below src/cli/ imports src/cli/',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
