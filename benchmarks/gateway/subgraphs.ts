/**
 * Starts the four bench subgraphs, each in its own process (subgraph-server.ts), and stops them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SUBGRAPH_NAMES, type SubgraphName } from './scenario';

export interface RunningSubgraphs {
  urls: Record<SubgraphName, string>;
  pids: Record<SubgraphName, number>;
  stop(): Promise<void>;
}

export async function startSubgraphs(basePort: number): Promise<RunningSubgraphs> {
  const children = new Map<SubgraphName, ChildProcess>();
  const started = SUBGRAPH_NAMES.map(async (name, i) => {
    const port = basePort + i;
    const child = fork(join(__dirname, 'subgraph-server.ts'), [name, String(port)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.set(name, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`subgraph ${name} did not start within 30 s`)), 30_000);
      child.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`subgraph ${name} exited with ${code} before listening (port ${port} in use?)`));
      });
    });
    return [name, port] as const;
  });
  const stop = async () => {
    await Promise.all([...children.values()].map((child) => stopChild(child)));
  };
  let ports: (readonly [SubgraphName, number])[];
  try {
    ports = await Promise.all(started);
  } catch (err) {
    await stop();
    throw err;
  }
  const urls = Object.fromEntries(ports.map(([name, port]) => [name, `http://127.0.0.1:${port}/graphql`])) as Record<SubgraphName, string>;
  const pids = Object.fromEntries([...children].map(([name, child]) => [name, child.pid as number])) as Record<SubgraphName, number>;
  return { urls, pids, stop };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
