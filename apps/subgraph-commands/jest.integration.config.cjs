/** Integration tests against the broker, the BigQuery emulator and Redis (started by the global setup): commands → Kafka → ingest → the emulator, with Redis. */
module.exports = {
  ...require('../../jest.integration.preset.js'),
  displayName: 'subgraph-commands:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
