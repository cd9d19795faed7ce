import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from './logger';
import { createService } from './service';

function setup(options: { shutdownTimeoutMs?: number; ready?: boolean } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const exits: number[] = [];
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => (exited = resolve));
  // A signal of its own, so the test never touches the runner's SIGTERM/SIGINT handling.
  const signal = 'SIGUSR2' as const;
  const service = createService({
    port: 0,
    host: '127.0.0.1',
    logger: createLogger({ level: 'info', name: 'test', destination }),
    registry: new Registry(),
    readiness: async () => ({ ready: options.ready ?? true, lanes: { live: { ready: options.ready ?? true } } }),
    routes: { '/hello': async (_req, res) => void res.end('hi') },
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5_000,
    exit: (code) => (exits.push(code), exited(code)),
    signals: [signal],
  });
  return { service, lines, exits, exit, signal: () => process.emit(signal, signal) };
}

describe('createService', () => {
  it('serves the probes with the readiness detail, and the routes', async () => {
    const { service } = setup({ ready: false });
    const base = `http://127.0.0.1:${await service.listen()}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not ready', ready: false, lanes: { live: { ready: false } } });
      expect((await fetch(`${base}/metrics`)).headers.get('content-type')).toContain('text/plain');
      expect(await (await fetch(`${base}/hello`)).text()).toBe('hi');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await service.closeAll();
    }
  });

  it('closes the parts last started first on a signal, the HTTP server among them, then exits 0', async () => {
    const { service, lines, exit, signal } = setup();
    const order: string[] = [];
    service.closing('warehouse', async () => void order.push('warehouse'));
    await service.listen();
    service.http.server.once('close', () => order.push('http'));
    service.closing('lanes', async () => void order.push('lanes'));
    expect(service.stopping).toBe(false);
    signal();
    expect(service.stopping).toBe(true);
    expect(await exit).toBe(0);
    expect(order).toEqual(['lanes', 'http', 'warehouse']);
    expect(service.http.server.listening).toBe(false);
    expect(lines.map((l) => l['msg'])).toEqual(['shutting down', 'stopped']);
  });

  it('runs the rest when a closer fails, and logs which one', async () => {
    const { service, lines, exit, signal } = setup();
    const closed: string[] = [];
    service.closing('producer', async () => void closed.push('producer'));
    service.closing('tracing', () => Promise.reject(new Error('exporter gone')));
    signal();
    expect(await exit).toBe(0);
    expect(closed).toEqual(['producer']);
    expect(lines.find((l) => l['msg'] === 'close failed')).toMatchObject({ name: 'tracing' });
  });

  it('exits 1 when the closers outlast the deadline', async () => {
    const { service, lines, exits, exit, signal } = setup({ shutdownTimeoutMs: 50 });
    service.closing('stuck', () => new Promise(() => undefined));
    signal();
    signal(); // a second signal does not start a second shutdown
    expect(await exit).toBe(1);
    expect(exits).toEqual([1]);
    expect(lines.map((l) => l['msg'])).toEqual(['shutting down', 'shutdown timed out']);
  });
});
