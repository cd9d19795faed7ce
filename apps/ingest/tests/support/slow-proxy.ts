import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy that holds every chunk a client sends for `delayMs` before passing it on
 * (answers flow back at once), in order: a slow network between one ingest instance and
 * the warehouse, so its statements commit long after its write began.
 */
export async function slowProxy(target: { host: string; port: number }, delayMs: number) {
  const sockets = new Set<Socket>();
  let delayed = 0;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      client.pause();
      delayed++;
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
        client.resume();
      }, delayMs);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('slow proxy: no port');
  return {
    port: address.port,
    /** Chunks held back so far. */
    delayed: () => delayed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
