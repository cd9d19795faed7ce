import { parseConfig } from '@phoenix/domain';
import { warehouseEnvironment } from '@phoenix/bq';

/** The only place the tools read process.env: the same warehouse variables as the apps. */
export function loadToolsEnvironment(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig({ warehouse: warehouseEnvironment }, env);
}
