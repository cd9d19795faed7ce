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

const moduleBoundaries = (testing) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      // type: what a project is, and therefore what it may build on.
      {
        sourceTag: 'type:app',
        onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime'],
        // Apps reach the warehouse only through libs/bq.
        bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
      },
      {
        sourceTag: 'type:tooling',
        onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime'],
        bannedExternalImports: ['@google-cloud/*', 'google-auth-library'],
      },
      {
        // Benchmarks run apps as child processes and build on libraries, never on apps.
        sourceTag: 'type:bench',
        onlyDependOnLibsWithTags: ['type:domain', 'type:data-access', 'type:runtime', 'type:feature', 'type:testing'],
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
        sourceTag: 'type:domain',
        onlyDependOnLibsWithTags: ['type:domain'],
        // The domain is pure: no I/O clients, no server frameworks.
        bannedExternalImports: ['kafkajs', '@google-cloud/*', 'google-auth-library', 'graphql', '@apollo/*', 'pino', 'undici', 'ioredis'],
      },
      // scope: which part of the platform a project belongs to.
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      {
        sourceTag: 'scope:ingest',
        onlyDependOnLibsWithTags: ['scope:shared'],
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
        onlyDependOnLibsWithTags: ['scope:shared', 'scope:api'],
        bannedExternalImports: ['@google-cloud/*'],
      },
    ],
  },
];

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
    files: ['apps/gateway/tests/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': moduleBoundaries(true) },
  },
  {
    // The only places allowed to read process.env: composition roots' environment.ts, tests and benchmarks.
    files: [
      '**/src/environment.ts',
      '**/*.spec.ts',
      '**/tests/**/*.ts',
      'apps/*/bench/**/*.ts',
      'benchmarks/*/src/**/*.ts',
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
