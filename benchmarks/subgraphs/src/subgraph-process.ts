import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { QueryRecord } from './measure';

/** How one subgraph under test runs: the real composition root, configured only by its environment. */
export interface SubgraphSpec {
  /** The workspace root: the subgraph runs from apps/subgraph-bookings/src/main.ts with its tsconfig.app.json. */
  root: string;
  /** A name for its log file. */
  name: string;
  cache: { ttlMs: number; maxEntries: number };
  /** BIGQUERY_* variables naming the emulator and the benchmark's dataset. */
  warehouse: Record<string, string>;
  signingSecret: string;
  logDir: string;
}

export interface SubgraphProcess {
  url: string;
  pid: number;
  /** The subgraph's Prometheus text from /metrics. */
  metrics(): Promise<string>;
  /** What the subgraph logged per request so far, by request id. */
  requests(): Map<string, RequestLog>;
  stop(): Promise<void>;
}

/** One request as the subgraph logged it: its warehouse queries (debug lines) and the process CPU while it ran. */
export interface RequestLog {
  queries: QueryRecord[];
  cpuMs: number | null;
}

export class SubgraphStartError extends Error {
  constructor(message: string, output: readonly string[]) {
    super(`${message}; its last output:\n${output.join('\n')}`);
    this.name = 'SubgraphStartError';
  }
}

/**
 * Starts subgraph-bookings as its own process, as it runs in production but through tsx:
 * an explicit, minimal environment (nothing from the caller's shell), logs at debug level
 * to a file, not through a pipe this process would have to read while measuring. Resolves
 * once it logs that it listens, with the port it bound (PORT=0).
 */
export async function startSubgraph(spec: SubgraphSpec): Promise<SubgraphProcess> {
  mkdirSync(spec.logDir, { recursive: true });
  const logFile = join(spec.logDir, `${spec.name}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const child = fork(resolve(spec.root, 'apps/subgraph-bookings/src/main.ts'), [], {
    // Our execArgv is tsx's loader, which turns source maps on; the last --import turns them
    // off again, as in a bundled production process, where no stack is mapped per error.
    execArgv: [...process.execArgv, '--import=data:text/javascript,process.setSourceMapsEnabled(false)'],
    stdio: ['ignore', fd, fd, 'ipc'],
    env: {
      PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      NODE_ENV: 'production',
      TSX_TSCONFIG_PATH: resolve(spec.root, 'apps/subgraph-bookings/tsconfig.app.json'),
      PORT: '0',
      HOST: '127.0.0.1',
      // Debug: one line per warehouse query, which is how requests are attributed their queries.
      LOG_LEVEL: 'debug',
      GRAPHQL_INTROSPECTION: 'false',
      CONTEXT_SIGNING_SECRET: spec.signingSecret,
      REFERENCE_CACHE_TTL_MS: String(spec.cache.ttlMs),
      REFERENCE_CACHE_MAX_ENTRIES: String(spec.cache.maxEntries),
      ...spec.warehouse,
    },
  });
  closeSync(fd);
  const lines = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
  const stop = () => stopChild(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new SubgraphStartError(`${spec.name} exited with ${child.exitCode ?? child.signalCode} before listening`, lines().slice(-15));
    }
    if (Date.now() > deadline) {
      await stop();
      throw new SubgraphStartError(`${spec.name} did not listen within 60 s`, lines().slice(-15));
    }
    const port = lines()
      .map(parse)
      .find((l) => l?.['msg'] === 'subgraph-bookings listening on /graphql')?.['port'];
    if (typeof port === 'number') {
      const base = `http://127.0.0.1:${port}`;
      return {
        url: `${base}/graphql`,
        pid: child.pid as number,
        metrics: async () => (await fetch(`${base}/metrics`)).text(),
        requests: () => requestLogs(lines()),
        stop,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parse(line: string): Record<string, unknown> | null {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Groups the debug lines of each warehouse query and the request line by request id. */
function requestLogs(lines: readonly string[]): Map<string, RequestLog> {
  const out = new Map<string, RequestLog>();
  const of = (id: string): RequestLog => {
    const found = out.get(id);
    if (found) return found;
    const created: RequestLog = { queries: [], cpuMs: null };
    out.set(id, created);
    return created;
  };
  for (const line of lines) {
    const l = parse(line);
    const id = l?.['requestId'];
    if (!l || typeof id !== 'string') continue;
    if (l['msg'] === 'warehouse query') {
      const endMs = Date.parse(String(l['time']));
      // The name as the warehouse labels it (load_desk, list_desk_booking).
      of(id).queries.push({ name: String(l['query']).replace(/[^a-z0-9_-]/g, '_'), startMs: endMs - Number(l['ms']), endMs });
    } else if (l['msg'] === 'graphql request' && typeof l['cpuMs'] === 'number') {
      of(id).cpuMs = l['cpuMs'];
    }
  }
  return out;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
