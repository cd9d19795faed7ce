import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

/** One of Phoenix's apps as a child process, its JSON log in .local/logs/<name>.log. */
export class AppProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private exited: Promise<number | null> = Promise.resolve(null);
  readonly recent: string[] = [];
  ready = false;

  constructor(
    readonly name: string,
    private readonly options: {
      root: string;
      logDir: string;
      env: Record<string, string>;
      /** A log message that means "started". */
      readyMessage: string;
      watch: boolean;
      onUnexpectedExit: (name: string, code: number | null, tail: string[]) => void;
    },
  ) {
    mkdirSync(options.logDir, { recursive: true });
    this.log = createWriteStream(join(options.logDir, `${name}.log`), { flags: 'a' });
  }

  start(): void {
    const { root, env, watch } = this.options;
    const main = join(root, 'apps', this.name, 'src', 'main.ts');
    const tsconfig = join(root, 'apps', this.name, 'tsconfig.app.json');
    // Development: tsx watch restarts the app when its code (or a library it imports) changes.
    const [command, args] = watch
      ? [join(root, 'node_modules/.bin/tsx'), ['watch', '--clear-screen=false', '--tsconfig', tsconfig, main]]
      : [process.execPath, ['--import', 'tsx', main]];
    const child = spawn(command as string, args as string[], {
      cwd: root,
      env: { ...env, TSX_TSCONFIG_PATH: tsconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let buffer = '';
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        this.recent.push(line);
        if (this.recent.length > 30) this.recent.shift();
        if (line.includes(`"msg":"${this.options.readyMessage}`)) this.ready = true;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.child = null;
        if (!this.stopping) this.options.onUnexpectedExit(this.name, code, this.recent.slice(-15));
        resolve(code);
      }),
    );
  }

  private stopping = false;

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (!this.child) throw new Error(`${this.name} exited while starting:\n${this.recent.slice(-15).join('\n')}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not start within ${timeoutMs / 1000} s:\n${this.recent.slice(-15).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after the timeout. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.log.end();
  }
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
