import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// libs/service/src → the workspace root.
const root = join(__dirname, '..', '..', '..');

/**
 * A Phoenix app (apps/<name>/src/main.ts) as a child process, started the way
 * production starts it: configuration from the environment, JSON logs on stdout. The
 * port comes from the log line whose message matches `ready`.
 */
export class ServiceProcess {
  readonly lines: string[] = [];
  port: number | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly app: string,
    env: Record<string, string>,
    ready: RegExp,
  ) {
    // Node with tsx as a loader (not the tsx CLI), so signals reach the app itself.
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, `apps/${app}/src/main.ts`)], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, `apps/${app}/tsconfig.app.json`), PORT: '0', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        if (ready.test(line)) this.port = (JSON.parse(line) as { port?: number }).port;
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  async started(timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.port === undefined) {
      if (this.child.exitCode !== null) throw new Error(`${this.app} exited ${this.child.exitCode}:\n${this.lines.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${this.app} did not start:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends a signal without waiting (e.g. SIGHUP to reload). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends a signal and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
