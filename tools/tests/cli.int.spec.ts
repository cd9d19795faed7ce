import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createWarehouse, WAREHOUSE_TABLES, warehouseEnvironment } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';

const root = join(__dirname, '..', '..');
const tsx = join(root, 'node_modules/.bin/tsx');

describe('tools against the local services', () => {
  const dataset = `it_cli_${randomBytes(4).toString('hex')}`;
  const env = { ...process.env, BIGQUERY_DATASET: dataset };
  const migrateCli = () =>
    spawnSync(tsx, ['--tsconfig', join(root, 'tools/tsconfig.lib.json'), join(root, 'tools/src/migrate.ts')], {
      env,
      encoding: 'utf8',
      cwd: root,
    });

  afterAll(async () => {
    await dropTestDataset(createWarehouse(warehouseEnvironment.parse(env)));
  });

  it('services.sh up is idempotent and status reports both services', () => {
    execFileSync('bash', [join(root, 'tools/local/services.sh'), 'up'], { stdio: 'ignore' });
    const status = spawnSync('bash', [join(root, 'tools/local/services.sh'), 'status'], { encoding: 'utf8' });
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/kafka: running/);
    expect(status.stdout).toMatch(/bigquery: running/);
  });

  it('npm run migrate creates every table, then reports nothing to do', async () => {
    const first = migrateCli();
    expect(first.status).toBe(0);
    const count = WAREHOUSE_TABLES.length;
    expect(first.stdout).toContain(`${count} table(s) created, 0 altered, 0 unchanged, dataset created`);
    const second = migrateCli();
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(`0 table(s) created, 0 altered, ${count} unchanged`);
    const tables = await createWarehouse(warehouseEnvironment.parse(env)).listTables();
    expect(tables).toHaveLength(count);
  });

  it('migrate exits 1 with every bad variable named when the configuration is wrong', () => {
    const bad = spawnSync(tsx, ['--tsconfig', join(root, 'tools/tsconfig.lib.json'), join(root, 'tools/src/migrate.ts')], {
      env: { ...process.env, BIGQUERY_DATASET: 'bad-name', BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050' },
      encoding: 'utf8',
      cwd: root,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/BIGQUERY_DATASET: must be letters, digits and underscores/);
    expect(bad.stderr).toMatch(/BIGQUERY_EMULATOR_HOST: must end in \/bigquery\/v2/);
  });
});
