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
  for (const line of env.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) process.env[match[1]] ??= match[2];
  }
};
