/** Unit tests: fast, no services. Integration tests live in tests/ (jest.integration.config.cjs). */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'subgraph',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/libs/subgraph',
};
