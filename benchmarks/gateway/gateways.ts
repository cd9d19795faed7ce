/**
 * Starting and stopping the three gateways under test, each as its own process (or N cluster
 * workers behind one port), on the same supergraph and subgraphs.
 */
import { fork } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { request } from 'undici';
import { stopChild } from './subgraphs';

export const GATEWAYS = ['apollo', 'hive', 'phoenix'] as const;
export type GatewayName = (typeof GATEWAYS)[number];

export const GATEWAY_LABELS: Record<GatewayName, string> = {
  apollo: 'bare @apollo/gateway',
  hive: '@graphql-hive/gateway-runtime',
  phoenix: 'Phoenix gateway (all policies)',
};

export interface PhoenixSetup {
  supergraphPath: string;
  consumersFile: string;
  signingSecret: string;
  /** LOG_LEVEL: warn (the benchmark's contract) or info (adds the access-log line per request). */
  logLevel: string;
  /** The workspace root; the gateway runs from apps/gateway/src/main.ts with apps/gateway/tsconfig.app.json. */
  root: string;
  /** SUBGRAPH_SHARE_INFLIGHT: identical in-flight subgraph reads share one fetch (Phoenix's default). */
  shareInFlight: boolean;
}

export interface GatewaySpec {
  name: GatewayName;
  port: number;
  workers: number;
  supergraphPath: string;
  /** When set, the gateway writes `node --cpu-prof` profiles there (an extra, unreported leg). */
  profileDir?: string;
  /** Directory for the gateways' output files. */
  logDir: string;
  /** Hive only: keep the subgraph executor's deduplication of identical in-flight requests (its default). */
  hiveDedupe: boolean;
  phoenix: PhoenixSetup;
}

export interface RunningGateway {
  name: GatewayName;
  pid: number;
  url: string;
  /** The "gateway listening" log line, when the gateway printed one (Phoenix's startup contract). */
  listeningLine: Record<string, unknown> | null;
  /** Where its stdout and stderr go. */
  logFile: string;
  stop(): Promise<void>;
}

/** Phoenix gets an explicit, minimal environment: only what its startup contract names, nothing from the caller's shell. */
function phoenixEnvironment(spec: GatewaySpec): Record<string, string> {
  const { phoenix } = spec;
  return {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    NODE_ENV: 'production',
    TSX_TSCONFIG_PATH: resolve(phoenix.root, 'apps/gateway/tsconfig.app.json'),
    PORT: String(spec.port),
    HOST: '127.0.0.1',
    GATEWAY_ENV: 'production',
    SUPERGRAPH_PATH: phoenix.supergraphPath,
    CONSUMERS_FILE: phoenix.consumersFile,
    CONTEXT_SIGNING_SECRET: phoenix.signingSecret,
    LOG_LEVEL: phoenix.logLevel,
    SUBGRAPH_SHARE_INFLIGHT: phoenix.shareInFlight ? 'true' : 'false',
  };
}

export async function startGateway(spec: GatewaySpec, probe: { headers: Record<string, string>; body: string }): Promise<RunningGateway> {
  const entry =
    spec.name === 'phoenix'
      ? { script: resolve(spec.phoenix.root, 'apps/gateway/src/main.ts'), args: [] as string[] }
      : {
          script: join(__dirname, `${spec.name}-gateway.ts`),
          args: [String(spec.port), spec.supergraphPath, ...(spec.name === 'hive' && !spec.hiveDedupe ? ['no-dedupe'] : [])],
        };
  const [script, args] =
    spec.workers > 1 ? [join(__dirname, 'cluster.ts'), [String(spec.workers), entry.script, ...entry.args]] : [entry.script, entry.args];
  // The gateway's output goes to a file, not through a pipe we would have to read: at
  // LOG_LEVEL=info Phoenix writes an access-log line per request, and reading it here would
  // take CPU from the gateway on a 2-core machine.
  const logFile = join(spec.logDir, `${spec.name}-${Date.now()}.log`);
  const fd = openSync(logFile, 'a');
  const child = fork(script, args, {
    // Our execArgv is tsx's loader, which turns source maps on; the last --import turns them off
    // again, as in a bundled production process: with them on, every Error's stack is mapped,
    // which costs code that reads stacks per request (agent-base's isSecureEndpoint in
    // @apollo/gateway's default fetcher). A profiled leg adds --cpu-prof; cluster workers inherit all of it.
    execArgv: [
      ...process.execArgv,
      '--import=data:text/javascript,process.setSourceMapsEnabled(false)',
      ...(spec.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${spec.profileDir}`] : []),
    ],
    stdio: ['ignore', fd, fd, 'ipc'],
    ...(spec.name === 'phoenix' ? { env: phoenixEnvironment(spec) } : {}),
  });
  closeSync(fd);
  const scan = () => {
    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim());
    let listening: Record<string, unknown> | null = null;
    let clustered = false;
    for (const line of lines) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed['msg'] === 'gateway listening') listening ??= parsed;
        if (parsed['msg'] === 'cluster listening') clustered = true;
      } catch {
        // not a JSON log line
      }
    }
    return { lines, listening, clustered };
  };
  const output = () => scan().lines.slice(-15);
  const url = `http://127.0.0.1:${spec.port}/graphql`;
  const deadline = Date.now() + 60_000;
  const stop = () => stopChild(child);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new GatewayStartError(spec.name, `exited with ${child.exitCode ?? child.signalCode} before serving`, output());
    }
    if (Date.now() > deadline) {
      await stop();
      throw new GatewayStartError(spec.name, 'did not answer within 60 s', output());
    }
    if (spec.workers === 1 || scan().clustered) {
      const answered = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...probe.headers },
        body: probe.body,
      }).then(
        async (res) => {
          await res.body.dump();
          return true;
        },
        () => false,
      );
      if (answered) break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: spec.name, pid: child.pid as number, url, listeningLine: scan().listening, logFile, stop };
}

export class GatewayStartError extends Error {
  constructor(
    readonly gateway: GatewayName,
    reason: string,
    readonly output: readonly string[],
  ) {
    super(`${GATEWAY_LABELS[gateway]} ${reason}${output.length ? `; its last output:\n  ${output.slice(-15).join('\n  ')}` : ''}`);
  }
}
