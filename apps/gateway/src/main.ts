/**
 * Composition root of gateway. The gateway server arrives with issue #5; until then this
 * entry point validates its configuration and says so, rather than pretending to serve.
 */
import { ConfigError } from '@phoenix/domain';
import { loadEnvironment } from './environment';

async function main(): Promise<number> {
  loadEnvironment();
  process.stderr.write('gateway: configuration is valid; the gateway server is not implemented yet (issue #5)\n');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`gateway: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
