// Integration suites: real Kafka broker and BigQuery emulator, started by globalSetup.
const base = require('./jest.preset.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  globalSetup: require.resolve('./tools/jest/services.global-setup.js'),
  testTimeout: 60_000,
  // Suites create their own topics and datasets, but share one broker and one emulator
  // on a 2-core machine: run them one at a time.
  maxWorkers: 1,
};
