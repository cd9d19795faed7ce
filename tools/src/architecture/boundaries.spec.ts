import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The architecture, as enforced: the module-boundary rule and the project graph. These
 * run ESLint and Nx in a child process (both load ESM configs) against the real
 * workspace configuration, so a weakened rule fails here.
 */
const root = join(__dirname, '..', '..', '..');
const nodeBin = process.execPath;

function lint(cases: { filePath: string; code: string }[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const c of cases) {
      const [result] = await eslint.lintText(c.code, { filePath: c.filePath });
      out.push(result.messages.map((m) => m.ruleId));
    }
    console.log(JSON.stringify(out));`;
  const stdout = execFileSync(nodeBin, ['--input-type=module', '-e', script, JSON.stringify(cases)], { cwd: root, encoding: 'utf8' });
  return JSON.parse(stdout) as string[][];
}

function affected(file: string): string[] {
  const stdout = execFileSync(
    nodeBin,
    [join(root, 'node_modules/nx/dist/bin/nx.js'), 'show', 'projects', '--affected', `--files=${file}`, '--json'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    },
  );
  return (JSON.parse(stdout) as string[]).sort();
}

describe('module boundaries', () => {
  const importOf = (pkg: string) => `import * as m from '${pkg}';\nexport const x = m;\n`;

  it('keeps @google-cloud/bigquery inside libs/bq and kafkajs on the ingest side', () => {
    const results = lint([
      { filePath: 'libs/bq/src/probe.ts', code: importOf('@google-cloud/bigquery') },
      { filePath: 'apps/ingest/src/probe.ts', code: importOf('kafkajs') },
      { filePath: 'apps/gateway/src/probe.ts', code: importOf('@google-cloud/bigquery') },
      { filePath: 'apps/subgraph-bookings/src/probe.ts', code: importOf('@google-cloud/bigquery') },
      { filePath: 'apps/ingest/src/probe2.ts', code: importOf('@google-cloud/bigquery') },
      { filePath: 'apps/subgraph-audit/src/probe.ts', code: importOf('kafkajs') },
      { filePath: 'apps/gateway/src/probe2.ts', code: importOf('kafkajs') },
      { filePath: 'libs/domain/src/probe.ts', code: importOf('kafkajs') },
      { filePath: 'libs/bq/src/probe2.ts', code: importOf('kafkajs') },
      { filePath: 'libs/ingest/src/probe.ts', code: importOf('kafkajs') },
      { filePath: 'libs/ingest/src/probe2.ts', code: importOf('@google-cloud/bigquery') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      true,
    ]);
  });

  it('forbids apps importing apps, and libraries importing apps', () => {
    const results = lint([
      { filePath: 'apps/gateway/src/probe.ts', code: importOf('../../ingest/src/environment') },
      { filePath: 'libs/bq/src/probe.ts', code: importOf('../../../apps/ingest/src/kafka') },
      { filePath: 'libs/domain/src/probe.ts', code: importOf('@phoenix/bq') },
      { filePath: 'apps/gateway/src/probe2.ts', code: importOf('@phoenix/domain') },
      { filePath: 'apps/gateway/src/probe3.ts', code: importOf('@phoenix/bq') },
      { filePath: 'apps/subgraph-audit/src/probe.ts', code: importOf('@phoenix/bq') },
      // The subgraph kit reads the warehouse: the gateway may use the shared service kit only.
      { filePath: 'apps/gateway/src/probe4.ts', code: importOf('@phoenix/subgraph') },
      { filePath: 'apps/gateway/src/probe5.ts', code: importOf('@phoenix/service') },
      { filePath: 'libs/service/src/probe.ts', code: importOf('@phoenix/subgraph') },
      { filePath: 'libs/bq/src/probe3.ts', code: importOf('@phoenix/service') },
      // …but the gateway's tests may seed the warehouse.
      { filePath: 'apps/gateway/tests/probe.ts', code: importOf('@phoenix/bq') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([
      true,
      true,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('lets benchmarks build on libraries, never on apps', () => {
    const results = lint([
      { filePath: 'benchmarks/subgraphs/src/probe.ts', code: importOf('@phoenix/subgraph') },
      { filePath: 'benchmarks/subgraphs/src/probe2.ts', code: importOf('@phoenix/bq') },
      { filePath: 'benchmarks/subgraphs/src/probe3.ts', code: importOf('../../../apps/subgraph-bookings/src/subgraph') },
      { filePath: 'benchmarks/subgraphs/src/probe4.ts', code: importOf('../../../apps/gateway/src/server') },
      { filePath: 'benchmarks/subgraphs/src/probe5.ts', code: importOf('../../../tools/src/federation/compose') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([false, false, true, true, true]);
  });

  it('lets the write path produce to Kafka and build on the subgraph kit, but not reach BigQuery or other apps', () => {
    const results = lint([
      { filePath: 'apps/subgraph-commands/src/probe.ts', code: importOf('kafkajs') },
      { filePath: 'apps/subgraph-commands/src/probe2.ts', code: importOf('@phoenix/subgraph') },
      { filePath: 'apps/subgraph-commands/src/probe3.ts', code: importOf('@phoenix/bq') },
      { filePath: 'apps/subgraph-commands/src/probe4.ts', code: importOf('@google-cloud/bigquery') },
      { filePath: 'apps/subgraph-commands/src/probe5.ts', code: importOf('../../ingest/src/kafka') },
      { filePath: 'apps/subgraph-commands/src/probe6.ts', code: importOf('@apollo/gateway') },
      // The read subgraphs still never touch the broker.
      { filePath: 'apps/subgraph-bookings/src/probe.ts', code: importOf('kafkajs') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([false, false, false, true, true, true, true]);
  });

  it('lets apps build on feature libraries, feature libraries on the shared kits only, and benchmarks on libraries only', () => {
    const results = lint([
      { filePath: 'apps/ingest/src/probe.ts', code: importOf('@phoenix/ingest') },
      { filePath: 'benchmarks/ingest/probe.ts', code: importOf('@phoenix/ingest') },
      { filePath: 'libs/ingest/src/probe.ts', code: importOf('@phoenix/service') },
      // A feature library never reaches up into an app, nor a runtime kit into a feature.
      { filePath: 'libs/ingest/src/probe2.ts', code: importOf('../../../apps/ingest/src/environment') },
      { filePath: 'libs/service/src/probe.ts', code: importOf('@phoenix/ingest') },
      // The API side never gets the ingest (and with it the broker).
      { filePath: 'apps/gateway/src/probe.ts', code: importOf('@phoenix/ingest') },
      { filePath: 'apps/subgraph-audit/src/probe.ts', code: importOf('@phoenix/ingest') },
      // Benchmarks run apps as child processes; they never import one.
      { filePath: 'benchmarks/ingest/probe2.ts', code: importOf('../../apps/ingest/src/environment') },
      { filePath: 'benchmarks/gateway/probe.ts', code: importOf('../../apps/gateway/src/server') },
      { filePath: 'tools/src/probe.ts', code: importOf('@phoenix/ingest') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([
      false,
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('keeps fixtures out of what an app ships, and the domain free of them', () => {
    const results = lint([
      { filePath: 'apps/ingest/src/probe.ts', code: importOf('@phoenix/fixtures') },
      { filePath: 'apps/ingest/src/probe.spec.ts', code: importOf('@phoenix/fixtures') },
      { filePath: 'apps/ingest/tests/probe.ts', code: importOf('@phoenix/fixtures') },
      { filePath: 'tools/src/probe.ts', code: importOf('@phoenix/fixtures') },
      { filePath: 'libs/domain/src/probe.ts', code: importOf('@phoenix/fixtures') },
      { filePath: 'libs/fixtures/src/probe.ts', code: importOf('@phoenix/bq') },
    ]);
    expect(results.map((r) => r.includes('@nx/enforce-module-boundaries'))).toEqual([true, false, false, false, true, true]);
  });

  it('lets only environment.ts files read process.env', () => {
    const code = "export const v = process.env['X'];\n";
    const destructured = 'const { env } = process;\nexport const v = env;\n';
    const results = lint([
      { filePath: 'libs/bq/src/probe.ts', code },
      { filePath: 'apps/ingest/src/probe.ts', code },
      { filePath: 'libs/domain/src/probe.ts', code: destructured },
      { filePath: 'apps/ingest/src/environment.ts', code },
      { filePath: 'libs/ingest/src/probe.ts', code },
      { filePath: 'benchmarks/ingest/probe.ts', code },
    ]);
    expect(results.map((r) => r.includes('no-restricted-syntax'))).toEqual([true, true, true, false, true, false]);
  });
});

describe('project graph', () => {
  it('marks every app affected by a change to libs/domain', () => {
    expect(affected('libs/domain/src/index.ts')).toEqual([
      'access',
      'bench-gateway',
      'bench-ingest',
      'bench-subgraphs',
      'bench-writes',
      'bq',
      'domain',
      'fixtures',
      'gateway',
      'ingest',
      'ingest-lib',
      'service',
      'subgraph',
      'subgraph-audit',
      'subgraph-bookings',
      'subgraph-commands',
      'tools',
    ]);
  });

  it('marks only the gateway affected by a change to apps/gateway', () => {
    expect(affected('apps/gateway/src/main.ts')).toEqual(['gateway']);
  });

  it('marks the ingest app and its benchmark affected by a change to libs/ingest, nothing on the API side', () => {
    expect(affected('libs/ingest/src/index.ts')).toEqual(['bench-ingest', 'ingest', 'ingest-lib']);
  });

  it('marks the warehouse users affected by a change to libs/bq (the gateway only because its tests seed data)', () => {
    expect(affected('libs/bq/src/index.ts')).toEqual([
      'bench-ingest',
      'bench-subgraphs',
      'bench-writes',
      'bq',
      'gateway',
      'ingest',
      'ingest-lib',
      'subgraph',
      'subgraph-audit',
      'subgraph-bookings',
      'subgraph-commands',
      'tools',
    ]);
  });
});
