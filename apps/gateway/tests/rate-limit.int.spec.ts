import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  RateLimiterUnavailableError,
  type RateDecision,
  type RateLimiter,
  type RateLimits,
} from '../src/policies/rate-limit';

// Against the real Redis that tools/local/services.sh starts (REDIS_URL from the jest
// global setup). Two ioredis clients stand for two gateway replicas; every key of this run
// lives under its own prefix and is deleted at the end.
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `phoenix-test:rate:${randomUUID()}:`;

let replicaA: Redis;
let replicaB: Redis;

/** A fake clock shared by both replicas: 2030-01-01T10:00:05Z, 55 s before the minute ends. */
let t = 0;
const now = () => t;

const limits = (l: { perMinute?: number; perDay?: number; perSecond?: number; burst?: number }): RateLimits => ({
  perMinute: l.perMinute ?? 0,
  perDay: l.perDay ?? 0,
  spikeArrest: { perSecond: l.perSecond ?? 0, burst: l.burst ?? 0 },
});

const allowedCount = (decisions: RateDecision[]) => decisions.filter((d) => d.allowed).length;

async function keysOfThisRun(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

beforeAll(async () => {
  replicaA = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  replicaB = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  await Promise.all([replicaA.ping(), replicaB.ping()]);
});

beforeEach(() => {
  t = Date.UTC(2030, 0, 1, 10, 0, 5);
});

afterAll(async () => {
  if (replicaA) {
    const keys = await keysOfThisRun(replicaA);
    if (keys.length > 0) await replicaA.del(...keys);
    expect(await keysOfThisRun(replicaA)).toEqual([]);
  }
  await Promise.all([replicaA?.quit(), replicaB?.quit()]);
});

describe('Redis rate limiter against a real Redis', () => {
  let a: RateLimiter;
  let b: RateLimiter;
  beforeAll(() => {
    a = createRedisRateLimiter(replicaA, { prefix, now });
    b = createRedisRateLimiter(replicaB, { prefix, now });
  });

  it('exhausts a minute quota and recovers when the next calendar minute starts', async () => {
    const id = `minute-${randomUUID()}`;
    const l = limits({ perMinute: 3 });
    const first = [await a.check(id, l), await a.check(id, l), await a.check(id, l)];
    expect(first.map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(await a.check(id, l)).toEqual({
      allowed: false,
      policy: 'quota-minute',
      limit: 3,
      remaining: 0,
      resetSeconds: 55,
      retryAfterSeconds: 55,
    });
    t = Date.UTC(2030, 0, 1, 10, 1, 0);
    expect(await a.check(id, l)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 60 });
  });

  it('exhausts a spike-arrest bucket and recovers as fractional tokens refill', async () => {
    const id = `spike-${randomUUID()}`;
    const l = limits({ perSecond: 4, burst: 2 });
    expect(allowedCount([await a.check(id, l), await b.check(id, l)])).toBe(2);
    expect(await a.check(id, l)).toMatchObject({ allowed: false, policy: 'spike-arrest', retryAfterSeconds: 1 });
    t += 125; // half a token
    expect((await b.check(id, l)).allowed).toBe(false);
    t += 125; // the other half: one whole token, kept as a fraction in Redis meanwhile
    expect((await b.check(id, l)).allowed).toBe(true);
    expect((await a.check(id, l)).allowed).toBe(false);
  });

  it('a day quota refuses until midnight UTC and refused requests are not counted', async () => {
    const id = `day-${randomUUID()}`;
    const l = limits({ perDay: 2 });
    await a.check(id, l);
    await b.check(id, l);
    for (let i = 0; i < 5; i++) expect((await a.check(id, l)).allowed).toBe(false);
    t = Date.UTC(2030, 0, 2, 0, 0, 0);
    const next = [await a.check(id, l), await b.check(id, l), await a.check(id, l)];
    expect(next.map((d) => d.allowed)).toEqual([true, true, false]);
  });

  it('two replicas share one quota: N per minute means exactly N admitted across both', async () => {
    const id = `shared-${randomUUID()}`;
    const l = limits({ perMinute: 25 });
    const decisions: RateDecision[] = [];
    for (let i = 0; i < 60; i++) decisions.push(await (i % 2 === 0 ? a : b).check(id, l));
    expect(allowedCount(decisions)).toBe(25);
    expect(decisions.slice(0, 25).every((d) => d.allowed)).toBe(true);
  });

  it('never over-admits under many parallel checks from both replicas', async () => {
    const quotaId = `parallel-quota-${randomUUID()}`;
    const spikeId = `parallel-spike-${randomUUID()}`;
    const quota = limits({ perMinute: 50, perDay: 1000 });
    const spike = limits({ perSecond: 1, burst: 20 });
    const [quotaDecisions, spikeDecisions] = await Promise.all([
      Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a : b).check(quotaId, quota))),
      Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? b : a).check(spikeId, spike))),
    ]);
    expect(allowedCount(quotaDecisions)).toBe(50);
    expect(allowedCount(spikeDecisions)).toBe(20);
    // The day quota counted the 50 admitted requests only.
    expect(await a.check(quotaId, limits({ perDay: 1000 }))).toMatchObject({ allowed: true, remaining: 1000 - 51 });
  });

  it('keeps keys under the prefix, in one hash slot per consumer, expiring shortly after their window', async () => {
    const id = `keys-${randomUUID()}`;
    await a.check(id, limits({ perSecond: 1, burst: 10, perMinute: 5, perDay: 5 }));
    const keys = (await keysOfThisRun(replicaA)).filter((k) => k.includes(id)).sort();
    const minute = Math.floor(t / 60_000);
    const day = Math.floor(t / 86_400_000);
    expect(keys).toEqual([`${prefix}{${id}}:d:${day}`, `${prefix}{${id}}:m:${minute}`, `${prefix}{${id}}:sa`]);
    const ttl = async (key: string) => replicaA.pttl(key);
    // Minute: 55 s left in the window + 10 s grace. Day: 13 h 59 min 55 s + grace. Bucket: 1 s to refill + grace.
    expect(await ttl(`${prefix}{${id}}:m:${minute}`)).toBeGreaterThan(60_000);
    expect(await ttl(`${prefix}{${id}}:m:${minute}`)).toBeLessThanOrEqual(65_000);
    expect(await ttl(`${prefix}{${id}}:d:${day}`)).toBeLessThanOrEqual(50_395_000 + 10_000);
    expect(await ttl(`${prefix}{${id}}:sa`)).toBeLessThanOrEqual(11_000);
    expect(await ttl(`${prefix}{${id}}:sa`)).toBeGreaterThan(0);
  });

  it('decides exactly as the memory limiter over random sequences of requests, consumers, limits and clock steps', async () => {
    // Model-based: the memory limiter is the model, the Lua script behind two replicas the
    // system. Steps mix bursts (0 ms), exactly the time one or more tokens take to refill
    // (where rounding differences would show), sub-second and longer steps, and minute
    // and day boundaries.
    const limit = fc.record({
      perMinute: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 })),
      perDay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })),
      perSecond: fc.oneof(fc.constant(0), fc.double({ min: 0.25, max: 20, noNaN: true }), fc.integer({ min: 1, max: 5 })),
      burst: fc.integer({ min: 1, max: 6 }),
    });
    const scenario = limit.chain((l) => {
      const refill = l.perSecond > 0 ? 1000 / l.perSecond : 1000;
      const step = fc.oneof(
        fc.constant(0),
        fc.integer({ min: 1, max: 3 }).map((tokens) => Math.ceil(tokens * refill)),
        fc.integer({ min: 1, max: 3 }).map((tokens) => Math.floor(tokens * refill)),
        fc.integer({ min: 1, max: 999 }),
        fc.integer({ min: 1_000, max: 59_999 }),
        fc.constantFrom(60_000, 3_600_000, 86_400_000),
      );
      const command = fc.record({ step, consumer: fc.integer({ min: 0, max: 2 }), replica: fc.boolean() });
      return fc.tuple(fc.constant(l), fc.array(command, { minLength: 1, maxLength: 40 }));
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ([l, commands]) => {
        const run = randomUUID();
        const memory = createMemoryRateLimiter({ now });
        const configured = limits(l);
        for (const c of commands) {
          t += c.step;
          const id = `model-${run}-${c.consumer}`;
          const viaRedis = await (c.replica ? a : b).check(id, configured);
          expect(viaRedis).toEqual(await memory.check(id, configured));
        }
      }),
      { numRuns: 80, seed: 20261203 },
    );
  });

  it('works on the real clock when no clock is injected', async () => {
    const limiter = createRedisRateLimiter(replicaA, { prefix });
    const id = `real-clock-${randomUUID()}`;
    const l = limits({ perDay: 1 });
    expect((await limiter.check(id, l)).allowed).toBe(true);
    expect((await limiter.check(id, l)).allowed).toBe(false);
  });
});

describe('Redis rate limiter when Redis is down', () => {
  it('rejects with RateLimiterUnavailableError (code RATE_LIMITER_UNAVAILABLE) instead of hanging', async () => {
    // A port nothing listens on: bind one, then release it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const down = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined); // the check reports it; no unhandled 'error' event
    try {
      const failure = await createRedisRateLimiter(down, { prefix })
        .check('anyone', limits({ perMinute: 1 }))
        .catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(RateLimiterUnavailableError);
      expect(failure).toMatchObject({ code: 'RATE_LIMITER_UNAVAILABLE' });
    } finally {
      down.disconnect();
    }
  });
});
