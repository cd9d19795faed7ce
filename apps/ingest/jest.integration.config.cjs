/** Integration tests against the real Kafka broker and BigQuery emulator (started by the global setup). */
module.exports = {
  ...require('../../jest.integration.preset.js'),
  displayName: 'ingest:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
