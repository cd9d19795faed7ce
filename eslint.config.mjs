// One ESLint config for the workspace. The module-boundary rule is the architecture
// written down: see docs/architecture.md for what each tag means.
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const envMessage =
  'Read the environment only in apps/<app>/src/environment.ts or tools/src/environment.ts; pass config to libraries as arguments.';
const noProcessEnv = [
  { selector: "MemberExpression[object.name='process'][property.name='env']", message: envMessage },
  // `const { env } = process` is the same read by another name.
  { selector: "VariableDeclarator[init.name='process'] > ObjectPattern", message: envMessage },
];

const moduleBoundaries = (testing) => {
  const fixtures = testing ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        // type: what a project is, and therefore what it may build on.
        {
          sourceTag: 'type:app',
          // Fixtures (synthetic streams) only in tests, never in what an app ships.
          onlyDependOnLibsWithTags: ['type:feature', 'type:domain', 'type:data-access', 'type:runtime', ...fixtures],
          // Apps reach the warehouse only through libs/bq.
          bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
        },
        {
          // A part of the platform as a library (libs/ingest): the apps compose it, benchmarks measure it.
          sourceTag: 'type:feature',
          onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime', ...fixtures],
          bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
        },
        {
          // Benchmarks measure libraries (and run apps as child processes, by path), never import apps.
          sourceTag: 'type:bench',
          onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime', 'type:feature', 'type:testing'],
          bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
        },
        {
          sourceTag: 'type:tooling',
          // The demo data of npm start is a synthetic stream.
          onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime', 'type:testing'],
          bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
        },
        {
          // Service plumbing (logging, HTTP, GraphQL serving) that apps compose.
          sourceTag: 'type:runtime',
          onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime'],
          bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
        },
        {
          sourceTag: 'type:data-access',
          onlyDependOnLibsWithTags: ['type:domain'],
          bannedExternalImports: ['kafkajs', 'graphql', '@apollo/*'],
        },
        {
          // Synthetic data for tests, demos and benchmarks: built on the domain alone.
          sourceTag: 'type:testing',
          onlyDependOnLibsWithTags: ['type:domain'],
          bannedExternalImports: ['kafkajs', '@google-cloud/*', 'google-auth-library', 'graphql', '@apollo/*', 'pino', 'undici', 'ioredis'],
        },
        {
          sourceTag: 'type:domain',
          onlyDependOnLibsWithTags: ['type:domain'],
          // The domain is pure: no I/O clients, no server frameworks.
          bannedExternalImports: ['kafkajs', '@google-cloud/*', 'google-auth-library', 'graphql', '@apollo/*', 'pino', 'undici', 'ioredis'],
        },
        // scope: which part of the platform a project belongs to.
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        {
          sourceTag: 'scope:ingest',
          onlyDependOnLibsWithTags: ['scope:shared', 'scope:ingest'],
          bannedExternalImports: ['@google-cloud/*', '@apollo/*'],
        },
        {
          sourceTag: 'scope:api',
          onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'],
          bannedExternalImports: ['kafkajs', '@google-cloud/*', '@apollo/gateway'],
        },
        {
          // The write path: commands become events on the broker, checked against the current state.
          sourceTag: 'scope:writes',
          onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'],
          bannedExternalImports: ['@google-cloud/*', '@apollo/gateway'],
        },
        {
          sourceTag: 'scope:gateway',
          // The gateway never touches the warehouse or the broker: it only talks to subgraphs.
          onlyDependOnLibsWithTags: ['scope:shared'],
          // Its tests may seed the warehouse the subgraphs read; its code never touches it.
          notDependOnLibsWithTags: testing ? [] : ['type:data-access'],
          bannedExternalImports: ['kafkajs', '@google-cloud/*'],
        },
        {
          // Tools and benchmarks drive the API from outside: they may use its libraries (the
          // subgraph kit's request helpers), and still never an app.
          sourceTag: 'scope:tools',
          // Benchmarks measure the ingest's feature library; tools proper cannot (type:tooling).
          onlyDependOnLibsWithTags: ['scope:shared', 'scope:api', 'scope:ingest'],
          bannedExternalImports: ['@google-cloud/*'],
        },
      ],
    },
  ];
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/dist', '**/node_modules', '**/coverage', '.local/**', '.nx/**', '**/*.cjs', '**/*.js'],
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries(false),
      'no-restricted-syntax': ['error', ...noProcessEnv],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Tests may use fixtures, and the gateway's tests may seed the warehouse.
    files: ['**/*.spec.ts', '**/tests/**/*.ts', 'libs/*/src/testing.ts', 'libs/*/src/testing/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries(true) },
  },
  {
    // The only places allowed to read process.env: composition roots' environment.ts, tests and benchmarks.
    files: [
      '**/src/environment.ts',
      '**/*.spec.ts',
      '**/tests/**/*.ts',
      'benchmarks/**/*.ts',
      'libs/*/src/testing.ts',
      'libs/*/src/testing/**/*.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // CLIs under tools/ write to the terminal on purpose.
    files: ['tools/src/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
