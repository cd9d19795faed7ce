/** Integration tests of the tools against the real local services (started by the global setup). */
module.exports = {
  ...require('../jest.integration.preset.js'),
  displayName: 'tools:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/**/*.int.spec.ts'],
};
