/** Integration tests against the BigQuery emulator (started by the global setup). */
module.exports = {
  ...require('../../jest.integration.preset.js'),
  displayName: 'bq:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
