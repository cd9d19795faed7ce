// Jest globalSetup for integration suites: brings up the real Kafka broker and BigQuery
// emulator through the project's own script (idempotent; a no-op when they already run)
// and points the tests at them. Services are left running for the next suite;
// `npm test` stops them at the end, `npm run services:down` does it by hand.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  execFileSync('bash', [join(root, 'tools/local/services.sh'), 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const env = execFileSync('bash', [join(root, 'tools/local/services.sh'), 'env'], { encoding: 'utf8' });
  for (const name of ['BIGQUERY_KEY_FILE', 'KAFKA_SSL', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD', 'GOOGLE_APPLICATION_CREDENTIALS']) {
    delete process.env[name];
  }
  for (const line of env.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    // Always the local services: a developer's shell pointing at a real cluster must
    // never receive the topics and datasets the tests create and delete.
    if (match) process.env[match[1]] = match[2];
  }
};
