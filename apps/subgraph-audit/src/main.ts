/**
 * Composition root of subgraph-audit. The subgraph server arrives with issue #4; until then this
 * entry point validates its configuration and says so, rather than pretending to serve.
 */
import { ConfigError } from '@phoenix/domain';
import { loadEnvironment } from './environment';

async function main(): Promise<number> {
  loadEnvironment();
  process.stderr.write('subgraph-audit: configuration is valid; the subgraph server is not implemented yet (issue #4)\n');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`subgraph-audit: ${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
