/**
 * `npm run migrate`: makes the configured BigQuery dataset (emulator or real) match
 * the schema in libs/bq. Safe to run any time: it only creates and adds, and refuses
 * destructive changes with the table and column named.
 */
import { ConfigError } from '@phoenix/service/config';
import { createWarehouse, migrate, MigrationRefusedError } from '@phoenix/bq';
import { loadToolsEnvironment } from './environment';

async function main(): Promise<number> {
  const { warehouse: config } = loadToolsEnvironment();
  const target = config.emulatorEndpoint ? `emulator at ${config.emulatorEndpoint}` : 'BigQuery (Application Default Credentials)';
  console.log(`migrate: ${config.projectId}.${config.datasetId} (${config.location}) on ${target}`);
  const started = Date.now();
  const report = await migrate(createWarehouse(config), { onProgress: (message) => console.log(`  ${message}`) });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `migrate: done in ${seconds}s — ${report.created.length} table(s) created, ${report.altered.length} altered, ${report.unchanged.length} unchanged` +
      (report.datasetCreated ? ', dataset created' : ''),
  );
  for (const altered of report.altered) {
    const expiration =
      altered.partitionExpirationDays === undefined ? '' : `; partition expiration ${altered.partitionExpirationDays} days`;
    console.log(
      `  ${altered.table}: added ${altered.addedColumns.join(', ') || '-'}; relaxed ${altered.relaxedColumns.join(', ') || '-'}${expiration}`,
    );
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof MigrationRefusedError) console.error(`migrate: ${err.message}`);
    else console.error(`migrate: failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
