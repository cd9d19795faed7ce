import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..', '..');

const running = new Set<IngestProcess>();

/** Kills every ingest process a test left behind (call from afterEach). */
export async function killAll(): Promise<void> {
  for (const p of running) p.kill('SIGKILL');
  await Promise.all([...running].map((p) => p.exit()));
}

/** The real ingest app (src/main.ts) as a child process, for crash and shutdown tests. */
export class IngestProcess {
  readonly lines: string[] = [];
  private child: ChildProcess;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  port: number | undefined;

  constructor(env: Record<string, string>) {
    // Node itself with tsx as a loader, not the tsx CLI: the CLI runs the app in a
    // grandchild, which a SIGKILL to the CLI would leave running.
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, 'apps/ingest/src/main.ts')], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'apps/ingest/tsconfig.app.json'), LOG_LEVEL: 'info', HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        const port = /"msg":"ingest started"/.test(line) ? (JSON.parse(line) as { port?: number }).port : undefined;
        if (port) this.port = port;
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
  }

  async started(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.port === undefined) {
      if (Date.now() > deadline) throw new Error(`ingest did not start:\n${this.lines.slice(-20).join('\n')}`);
      if (this.child.exitCode !== null) throw new Error(`ingest exited ${this.child.exitCode}:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async reconciliation(): Promise<
    Record<string, Record<string, { consumed: number; applied: number; duplicate: number; superseded: number; dead_lettered: number }>>
  > {
    const res = await fetch(`http://127.0.0.1:${this.port}/reconciliation`);
    return (await res.json()) as never;
  }

  async consumed(): Promise<number> {
    if (this.port === undefined || this.child.exitCode !== null) return 0;
    try {
      const lanes = await this.reconciliation();
      return Object.values(lanes)
        .flatMap((l) => Object.values(l))
        .reduce((n, p) => n + p.consumed, 0);
    } catch {
      return 0;
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exited;
  }
}
