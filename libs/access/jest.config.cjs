/** Unit tests: fast, no services. Integration tests live in tests/ (jest.integration.config.cjs). */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'access',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  coverageDirectory: '../../coverage/libs/access',
};
