import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createWarehouse, warehouseEnvironment } from '@phoenix/bq';
import { dropTestDataset } from '@phoenix/bq/testing';

const root = join(__dirname, '..', '..');
const PORTS = { GATEWAY_PORT: 4100, SUBGRAPH_BOOKINGS_PORT: 4101, SUBGRAPH_AUDIT_PORT: 4102, INGEST_HTTP_PORT: 9564 };

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/**
 * The README's start command itself: started as a child (in its own process group, as a
 * terminal would), it must print the gateway URL, a key and example queries that return
 * demo data through the gateway; a Ctrl-C (SIGINT to the group) must stop everything it
 * started and free every port.
 */
describe('the start command', () => {
  const dataset = `it_start_${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await dropTestDataset(createWarehouse(warehouseEnvironment.parse({ ...process.env, BIGQUERY_DATASET: dataset })));
  });

  it('starts the platform with demo data, answers the printed examples, and stops cleanly on Ctrl-C', async () => {
    const child = spawn('bash', [join(root, 'tools/start.sh')], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        BIGQUERY_DATASET: dataset,
        DEMO_SEED_EVENTS: '600',
        DEMO_TRICKLE_PER_SECOND: '1',
        ...Object.fromEntries(Object.entries(PORTS).map(([k, v]) => [k, String(v)])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    let ready: { url: string; apiKey: string; examples: { title: string; query: string }[] } | null = null;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        output.push(line);
        if (line.startsWith('PHOENIX_READY ')) ready = JSON.parse(line.slice('PHOENIX_READY '.length));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    try {
      const deadline = Date.now() + 360_000;
      while (!ready) {
        if (child.exitCode !== null) throw new Error(`start exited ${child.exitCode}:\n${output.slice(-40).join('\n')}`);
        if (Date.now() > deadline) throw new Error(`start did not get ready:\n${output.slice(-40).join('\n')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const { url, apiKey, examples } = ready as { url: string; apiKey: string; examples: { title: string; query: string }[] };
      expect(url).toBe(`http://127.0.0.1:${PORTS.GATEWAY_PORT}/graphql`);
      expect(output.join('\n')).toContain(`curl -s ${url}`);
      expect(examples).toHaveLength(3);
      for (const example of examples) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({ query: example.query }),
        });
        const body = (await res.json()) as { data?: Record<string, { nodes: unknown[] }>; errors?: unknown };
        expect([example.title, body.errors]).toEqual([example.title, undefined]);
        const [list] = Object.values(body.data ?? {});
        expect(list?.nodes.length).toBeGreaterThan(0);
      }
    } finally {
      if (child.pid) process.kill(-child.pid, 'SIGINT');
    }
    expect(await exited).toBe(0);
    for (const port of Object.values(PORTS)) expect([port, await listening(port)]).toEqual([port, false]);
  }, 420_000);
});
