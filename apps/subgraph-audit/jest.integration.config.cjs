/** Integration tests against the BigQuery emulator (started by the global setup): the subgraph over real tables. */
module.exports = {
  ...require('../../jest.integration.preset.js'),
  displayName: 'subgraph-audit:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
