/**
 * Composition root of the gateway. The federated server and its Apigee-replacement
 * policies arrive with issue #5; until then this entry point validates its
 * configuration and says so, rather than pretending to serve.
 */
import { ConfigError } from '@phoenix/domain';
import { loadEnvironment } from './environment';

try {
  loadEnvironment();
  process.stderr.write('gateway: configuration is valid; the gateway server is not implemented yet (issue #5)\n');
  process.exit(2);
} catch (err) {
  process.stderr.write(`gateway: ${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
}
