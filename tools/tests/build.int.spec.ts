import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '@phoenix/access';
import { migrate, type Warehouse } from '@phoenix/bq';
import { createTestWarehouse, dropTestDataset } from '@phoenix/bq/testing';

const root = join(__dirname, '..', '..');
const SECRET = 'build-test-secret-0123456789abcdefghijkl';

/**
 * What `nx build` ships must run on its own: each deployable app's output (bundle plus
 * pruned package.json and lockfile) is copied out of the workspace, installed with
 * production dependencies only, started with plain `node main.js`, and must answer
 * /healthz and stop cleanly — as its Dockerfile's runtime stage does.
 */
describe('deployable builds', () => {
  let warehouse: Warehouse;
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-build-'));

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_build', process.env);
    await migrate(warehouse);
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/nx/dist/bin/nx.js'),
        'run-many',
        '-t',
        'build',
        '-p',
        'ingest',
        'subgraph-bookings',
        'subgraph-audit',
        'gateway',
      ],
      {
        cwd: root,
        stdio: 'ignore',
        env: { ...process.env, NX_DAEMON: 'false' },
      },
    );
    const { stored } = generateApiKey();
    writeFileSync(
      join(dir, 'consumers.json'),
      JSON.stringify({
        consumers: [
          {
            id: 'c',
            name: 'c',
            tenantId: 'acme',
            scopes: [],
            keys: [stored],
            limits: { perMinute: 0, perDay: 0, spikeArrest: { perSecond: 0, burst: 0 } },
          },
        ],
      }),
    );
  }, 300_000);
  afterAll(async () => {
    await dropTestDataset(warehouse);
  });

  const cases: [string, Record<string, string>, string][] = [
    ['ingest', { HTTP_PORT: '9581', INGEST_LANES: 'live' }, 'http://127.0.0.1:9581/healthz'],
    ['subgraph-bookings', { PORT: '9582' }, 'http://127.0.0.1:9582/healthz'],
    ['subgraph-audit', { PORT: '9583' }, 'http://127.0.0.1:9583/healthz'],
    ['gateway', { PORT: '9584', GATEWAY_ENV: 'production' }, 'http://127.0.0.1:9584/healthz'],
  ];

  it.each(cases)(
    '%s installs with production dependencies and runs with plain node',
    async (app, env, health) => {
      const out = join(dir, app);
      cpSync(join(root, 'dist/apps', app), out, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        devDependencies?: unknown;
      };
      expect(manifest.devDependencies).toBeUndefined();
      expect(Object.keys(manifest.dependencies ?? {})).not.toContain('jest');
      execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: out,
        stdio: 'ignore',
      });
      if (app === 'gateway') expect(existsSync(join(out, 'supergraph.graphql'))).toBe(true);
      else if (app.startsWith('subgraph')) expect(existsSync(join(out, 'schema.graphql'))).toBe(true);

      const child = spawn(process.execPath, ['main.js'], {
        cwd: out,
        env: {
          PATH: process.env['PATH'] ?? '',
          KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
          BIGQUERY_EMULATOR_HOST: process.env['BIGQUERY_EMULATOR_HOST'] ?? '',
          BIGQUERY_PROJECT: warehouse.config.projectId,
          BIGQUERY_DATASET: warehouse.config.datasetId,
          CONTEXT_SIGNING_SECRET: SECRET,
          CONSUMERS_FILE: join(dir, 'consumers.json'),
          INGEST_GROUP_ID: `it-build-${Date.now()}`,
          LOG_LEVEL: 'warn',
          ...env,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 60_000;
        let status = 0;
        while (status !== 200) {
          if (child.exitCode !== null) throw new Error(`${app} exited ${child.exitCode}: ${stderr}`);
          if (Date.now() > deadline) throw new Error(`${app} never answered ${health}: ${stderr}`);
          status = await fetch(health).then(
            (r) => r.status,
            () => 0,
          );
          if (status !== 200) await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    180_000,
  );
});
