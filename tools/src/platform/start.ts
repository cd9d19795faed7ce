/**
 * `npm start` (and `npm run dev`, which restarts an app when its code changes): after
 * tools/start.sh has set up and started the local services and migrated the warehouse,
 * this starts the ingest, the three subgraphs and the gateway, seeds a demo tenant from the
 * generator through Kafka, keeps a gentle trickle of new events flowing, and prints the
 * gateway URL, a demo API key and example queries. Ctrl-C stops everything it started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { GeneratedMessage } from '@phoenix/fixtures';
import { ConfigError } from '@phoenix/service/config';
import { loadPlatformEnvironment } from '../environment';
import { WORKSPACE_ROOT } from '../federation/subgraphs';
import { AppProcess, portTaken } from './apps';
import { demoState, demoStream, DEMO_TENANT } from './demo';
import { exampleQueries, writeExample } from './examples';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string) => process.stdout.write(`${s}\n`);
const step = (s: string) => say(`\n${bold(`▶ ${s}`)}`);

async function main(): Promise<void> {
  const env = loadPlatformEnvironment();
  const { platform } = env;
  const localDir = platform.localDir ?? join(WORKSPACE_ROOT, '.local');
  const demo = demoState(join(localDir, 'demo'), env.warehouse.datasetId);
  const logDir = join(localDir, 'logs');

  step('Checking the ports the apps use');
  const ports = platform.ports;
  const taken = [];
  for (const [app, port] of Object.entries(ports)) if (await portTaken(port)) taken.push(`${port} (${app})`);
  if (taken.length > 0) {
    throw new StartError(
      `port(s) ${taken.join(', ')} are taken: is another \`npm start\` running? Stop it, or choose other ports with ` +
        'GATEWAY_PORT, SUBGRAPH_BOOKINGS_PORT, SUBGRAPH_AUDIT_PORT, SUBGRAPH_COMMANDS_PORT, INGEST_HTTP_PORT.',
    );
  }
  say(`  free: ${Object.values(ports).join(', ')}`);

  const base = {
    ...env.inherited,
    CONTEXT_SIGNING_SECRET: demo.contextSecret,
    LOG_LEVEL: 'info',
  };
  let stopping = false;
  const apps: AppProcess[] = [];
  const app = (name: string, readyMessage: string, extra: Record<string, string>) => {
    const p = new AppProcess(name, {
      root: WORKSPACE_ROOT,
      logDir,
      env: { ...base, ...extra },
      readyMessage,
      watch: platform.watch,
      onUnexpectedExit: (n, code, tail) => {
        if (stopping || platform.watch) return;
        process.stderr.write(`\n${n} exited unexpectedly (code ${code}); its last lines:\n${tail.join('\n')}\nstopping the platform\n`);
        void shutdown(1);
      },
    });
    apps.push(p);
    return p;
  };

  let trickle: NodeJS.Timeout | undefined;
  // Created now, connected after the apps start: shutdown may need to close it at any point.
  const kafka = new Kafka({ clientId: 'phoenix-demo', brokers: platform.brokers, logLevel: logLevel.NOTHING });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    step('Stopping');
    if (trickle) clearInterval(trickle);
    await producer.disconnect().catch(() => undefined);
    // The gateway first, so no request reaches a subgraph that is going away.
    for (const p of [...apps].reverse()) {
      await p.stop();
      say(`  ${p.name} stopped`);
    }
    if (platform.stopServicesOnExit) {
      say('  stopping the local services this start launched');
      spawnSync('bash', [join(WORKSPACE_ROOT, 'tools/local/services.sh'), 'down'], { stdio: 'inherit' });
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  onFailure = shutdown;

  step('Starting the apps (logs in .local/logs/)');
  const ingest = app('ingest', 'ingest started', { HTTP_PORT: String(ports.ingest), INGEST_LANES: 'live,backfill' });
  const bookings = app('subgraph-bookings', 'subgraph-bookings listening', { PORT: String(ports.bookings) });
  const audit = app('subgraph-audit', 'subgraph-audit listening', { PORT: String(ports.audit) });
  const commands = app('subgraph-commands', 'subgraph-commands listening', {
    PORT: String(ports.commands),
    ...(platform.redisUrl ? { REDIS_URL: platform.redisUrl } : {}),
  });
  for (const p of [ingest, bookings, audit, commands]) p.start();
  for (const p of [ingest, bookings, audit, commands]) {
    await p.waitReady(120_000);
    say(`  ${p.name} ready`);
  }
  const gateway = app('gateway', 'gateway listening', {
    PORT: String(ports.gateway),
    GATEWAY_ENV: 'development',
    CONSUMERS_FILE: demo.consumersFile,
    SUBGRAPH_BOOKINGS_URL: `http://127.0.0.1:${ports.bookings}/graphql`,
    SUBGRAPH_AUDIT_URL: `http://127.0.0.1:${ports.audit}/graphql`,
    SUBGRAPH_COMMANDS_URL: `http://127.0.0.1:${ports.commands}/graphql`,
    ...(platform.redisUrl ? { REDIS_URL: platform.redisUrl } : {}),
  });
  gateway.start();
  await gateway.waitReady(120_000);
  say(`  gateway ready`);

  await producer.connect();
  const stream = demoStream();
  const next = (n: number): GeneratedMessage[] => {
    const out: GeneratedMessage[] = [];
    for (let i = 0; i < n; i++) {
      const m = stream.next();
      if (m.done) break;
      out.push(m.value);
    }
    return out;
  };
  const send = async (messages: GeneratedMessage[]) => {
    if (messages.length === 0) return;
    await producer.send({
      topic: 'phoenix.events',
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
    });
  };

  const seeded = existsSync(demo.seededMarker);
  const seed = next(platform.seedEvents);
  if (seeded) {
    step(`Demo data: already seeded on an earlier start (delete ${demo.seededMarker} to seed again)`);
  } else {
    step(`Seeding the demo tenants through Kafka: ${seed.length} messages`);
    for (let i = 0; i < seed.length; i += 500) await send(seed.slice(i, i + 500));
    await waitForIngest(ports.ingest, seed.length);
    writeFileSync(demo.seededMarker, new Date().toISOString());
  }

  if (platform.tricklePerSecond > 0) {
    const perTick = Math.max(1, Math.round(platform.tricklePerSecond * 2));
    trickle = setInterval(() => void send(next(perTick)).catch(() => undefined), 2_000);
    trickle.unref();
  }

  const url = `http://127.0.0.1:${ports.gateway}/graphql`;
  step('Phoenix is running');
  say(`
  Gateway (Apollo Sandbox in a browser):  ${url}
  Demo API key (tenant ${DEMO_TENANT}, all scopes):   ${demo.apiKey}
  Subgraphs: http://127.0.0.1:${ports.bookings}/graphql, http://127.0.0.1:${ports.audit}/graphql, http://127.0.0.1:${ports.commands}/graphql (signed requests only)
  Ingest metrics: http://127.0.0.1:${ports.ingest}/metrics   Logs: .local/logs/
  ${platform.tricklePerSecond > 0 ? `New demo events keep arriving (about ${platform.tricklePerSecond}/s).` : ''}
`);
  for (const example of exampleQueries()) {
    say(`  ${bold(example.title)}`);
    say(
      `  curl -s ${url} -H 'content-type: application/json' -H 'x-api-key: ${demo.apiKey}' \\\n    -d '${JSON.stringify({ query: example.query })}'\n`,
    );
  }
  const write = writeExample();
  say(`  ${bold(write.title)}`);
  say(
    `  curl -s ${url} -H 'content-type: application/json' -H 'x-api-key: ${demo.apiKey}' \\\n    -d '${JSON.stringify({ query: write.query })}'\n`,
  );
  say(`Press Ctrl-C to stop${platform.watch ? ' (apps restart when their code changes)' : ''}.`);
  // Machine-readable for the start command's own test.
  say(`PHOENIX_READY ${JSON.stringify({ url, apiKey: demo.apiKey, examples: exampleQueries(), write })}`);
}

/** Waits until the live lane has consumed what was produced, showing progress. */
async function waitForIngest(port: number, produced: number): Promise<void> {
  const started = Date.now();
  let last = -1;
  for (;;) {
    const consumed = await fetch(`http://127.0.0.1:${port}/reconciliation`)
      .then((r) => r.json() as Promise<Record<string, Record<string, { consumed: number }>>>)
      .then((lanes) => Object.values(lanes['live'] ?? {}).reduce((n, p) => n + p.consumed, 0))
      .catch(() => 0);
    if (consumed !== last) {
      const rate = consumed / Math.max(1, (Date.now() - started) / 1000);
      const eta = rate > 0 ? Math.ceil((produced - consumed) / rate) : NaN;
      say(`  consumed ${consumed}/${produced}${Number.isFinite(eta) && consumed < produced ? `, about ${eta} s to go` : ''}`);
      last = consumed;
    }
    if (consumed >= produced) return;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

class StartError extends Error {}

/** Set once apps may be running: a failure after that point stops them (and the services) first. */
let onFailure: ((code: number) => Promise<void>) | null = null;

main().catch(async (err: unknown) => {
  const message =
    err instanceof ConfigError || err instanceof StartError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`start: ${message}\n`);
  if (onFailure) return onFailure(1);
  const stopServices = (() => {
    try {
      return loadPlatformEnvironment().platform.stopServicesOnExit;
    } catch {
      return false;
    }
  })();
  if (stopServices) spawnSync('bash', [join(WORKSPACE_ROOT, 'tools/local/services.sh'), 'down'], { stdio: 'inherit' });
  process.exit(1);
});
