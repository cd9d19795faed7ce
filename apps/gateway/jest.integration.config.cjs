/** Integration tests against the local services (started by the global setup): rate limits shared through a real Redis. */
module.exports = {
  ...require('../../jest.integration.preset.js'),
  displayName: 'gateway:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
