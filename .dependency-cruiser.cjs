/**
 * Layer rules of src/ (docs/architecture.md): every folder imports only the folders below
 * it, so the codec knows nothing of servers, the client nothing of the dispatcher, and
 * worker and dispatcher share what they share through jobs/, data-files/ and common/.
 *
 *   codec, config  ←  common  ←  server, client  ←  jobs, data-files  ←  worker, dispatcher  ←  cluster  ←  cli
 */
const below = {
  codec: [],
  config: [],
  common: ['codec', 'config'],
  server: ['codec', 'config', 'common'],
  client: ['codec', 'config', 'common'],
  jobs: ['codec', 'config', 'common', 'server'],
  'data-files': ['codec', 'config', 'common'],
  worker: ['codec', 'config', 'common', 'server', 'jobs', 'data-files'],
  dispatcher: ['codec', 'config', 'common', 'server', 'client', 'jobs', 'data-files'],
  cluster: ['codec', 'config', 'common', 'server', 'client', 'jobs', 'data-files', 'worker', 'dispatcher'],
  cli: ['codec', 'config', 'common', 'server', 'client', 'jobs', 'data-files', 'worker', 'dispatcher', 'cluster'],
};

const layerRules = Object.entries(below).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only ${allowed.length ? allowed.map((l) => `src/${l}`).join(', ') : 'nothing else of ours'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...allowed].join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'src-not-from-tests',
      comment: 'product code never imports tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-circular',
      comment: 'modules in a cycle cannot be understood (or loaded) one at a time',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'undici-only-in-tests',
      comment: 'undici is a reference client for tests and benchmarks, never a product transport',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: 'node_modules/undici/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
