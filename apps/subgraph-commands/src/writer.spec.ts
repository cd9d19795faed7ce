import pino from 'pino';
import type { RequestContext } from '@phoenix/access';
import { ident, type Warehouse } from '@phoenix/bq';
import type { WritesConfig } from './environment';
import { WriteError } from './errors';
import { EventLogUnavailableError, type EventLog, type LogRecord } from './kafka';
import type { Begin, WriteStore } from './store';
import { createWriter, traceparentOf } from './writer';

/** One process's stand-ins for Redis and Kafka: enough to pin the writer's own rules. */
function memoryStore(): WriteStore {
  const keys = new Map<string, string>();
  return {
    async begin(key, fingerprint): Promise<Begin> {
      const v = keys.get(key);
      if (v === undefined) {
        keys.set(key, `pending:${fingerprint}`);
        return { state: 'new', token: `pending:${fingerprint}` };
      }
      if (v.startsWith('pending:')) return v === `pending:${fingerprint}` ? { state: 'pending' } : { state: 'reused' };
      const stored = JSON.parse(v) as { fingerprint: string; answer: unknown };
      return stored.fingerprint === fingerprint ? { state: 'done', answer: structuredClone(stored.answer) } : { state: 'reused' };
    },
    async complete(key, _token, fingerprint, answer) {
      keys.set(key, JSON.stringify({ fingerprint, answer }));
    },
    async release(key) {
      keys.delete(key);
    },
    claim: async () => null,
    unclaim: async () => undefined,
    lastState: async () => null,
    setLastState: async () => undefined,
    lock: async () => true,
    unlock: async () => undefined,
  };
}

function memoryLog(): EventLog & { records: LogRecord[]; down: boolean } {
  const log = {
    records: [] as LogRecord[],
    down: false,
    connect: async () => undefined,
    async append(records: readonly LogRecord[]) {
      if (log.down) throw new EventLogUnavailableError('down');
      return records.map((r) => {
        log.records.push(r);
        return { topic: 't', partition: 0, offset: String(log.records.length - 1) };
      });
    },
    readiness: () => ({ ready: true, kafka: 'ok' }),
    disconnect: async () => undefined,
  };
  return log;
}

const config: WritesConfig = {
  topic: 't',
  redisUrl: 'redis://x',
  redisPrefix: 'p:',
  produceTimeoutMs: 1000,
  idempotencyTtlSeconds: 60,
  claimTtlSeconds: 60,
  maxBatchEvents: 3,
  maxWaitMs: 300,
  pastToleranceMs: 0,
};
const auth: RequestContext = {
  tenantId: 'acme',
  consumerId: 'app-1',
  scopes: [],
  requestId: '0b7c3a4e-8d1f-4a2b-9c3d-5e6f7a8b9c0d',
  exp: 0,
};
const event = (n: number, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: `e${n}`,
  source: '/s',
  type: 'phoenix.team.created',
  time: '2026-01-01T00:00:00Z',
  entityid: `t${n}`,
  data: { id: `t${n}`, name: 'T' },
  ...extra,
});

function setup(query: Warehouse['query'] = async () => []) {
  const log = memoryLog();
  const writer = createWriter({
    log,
    store: memoryStore(),
    warehouse: { query, table: () => ident('events_raw') } as unknown as Warehouse,
    config,
    logger: pino({ level: 'silent' }),
  });
  return { log, writer };
}

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err instanceof WriteError ? err.code : String(err)),
  );

describe('the writer', () => {
  it('stamps the tenant and who wrote it from the signed context, replacing what the body says', async () => {
    const { log, writer } = setup();
    const answer = await writer.publish(
      { ...auth, keyId: 'key-9' } as RequestContext,
      [event(1, { consumerid: 'forged', requestid: 'x' })],
      {},
    );
    expect(answer.accepted).toBe(1);
    const sent = JSON.parse(log.records[0]?.value ?? '{}') as Record<string, unknown>;
    expect(sent).toMatchObject({ tenantid: 'acme', consumerid: 'app-1', requestid: auth.requestId, keyid: 'key-9' });
    expect(log.records[0]?.key).toBe('acme/t1');
    expect(log.records[0]?.headers['traceparent']).toMatch(/^00-0b7c3a4e8d1f4a2b9c3d5e6f7a8b9c0d-/);
  });

  it('refuses more than MAX_BATCH_EVENTS events as a whole, and accepts exactly that many', async () => {
    const { log, writer } = setup();
    expect(await codeOf(writer.publish(auth, [event(1), event(2), event(3), event(4)], {}))).toBe('BATCH_TOO_LARGE');
    expect(log.records).toHaveLength(0);
    expect((await writer.publish(auth, [event(1), event(2), event(3)], {})).accepted).toBe(3);
  });

  it('answers UNAVAILABLE when the log is down, keeps no receipt, and accepts the same keyed retry afterwards', async () => {
    const { log, writer } = setup();
    log.down = true;
    expect(await codeOf(writer.publish(auth, [event(1)], { idempotencyKey: 'k' }))).toBe('UNAVAILABLE');
    log.down = false;
    const answer = await writer.publish(auth, [event(1)], { idempotencyKey: 'k' });
    expect(answer.results[0]?.receipt?.replayed).toBe(false);
    expect((await writer.publish(auth, [event(1)], { idempotencyKey: 'k' })).results[0]?.receipt?.replayed).toBe(true);
    expect(log.records).toHaveLength(1);
  });

  it('refuses idempotency keys that are empty, too long or not printable ASCII', async () => {
    const { writer } = setup();
    for (const key of ['', 'x'.repeat(256), 'with space', 'ключ']) {
      expect(await codeOf(writer.publish(auth, [event(1)], { idempotencyKey: key }))).toBe('BAD_USER_INPUT');
    }
    expect(await codeOf(writer.publish(auth, [event(1)], { idempotencyKey: 'x'.repeat(255) }))).toBe('ok');
  });

  it('waits for the ingest at most MAX_WAIT_MS, whatever the client asks for', async () => {
    let polls = 0;
    const { writer } = setup(async () => {
      polls++;
      return [];
    });
    const started = Date.now();
    const answer = await writer.publish(auth, [event(1)], { waitMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answer.results[0]?.receipt?.recorded).toBe(false);
    expect(polls).toBeGreaterThan(0);
  });
});

describe('traceparentOf', () => {
  it('makes a UUID request id the trace id, and nothing of other ids', () => {
    expect(traceparentOf('0b7c3a4e-8d1f-4a2b-9c3d-5e6f7a8b9c0d')).toMatch(/^00-0b7c3a4e8d1f4a2b9c3d5e6f7a8b9c0d-[0-9a-f]{16}-01$/);
    expect(traceparentOf('req-1')).toBeNull();
    expect(traceparentOf('00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
