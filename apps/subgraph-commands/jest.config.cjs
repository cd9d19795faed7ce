/** Unit tests: fast, no services. Integration tests live in tests/ (jest.integration.config.cjs). */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'subgraph-commands',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/apps/subgraph-commands',
};
