import type { Redis } from 'ioredis';
import {
  createMemoryRateLimiter,
  createRedisRateLimiter,
  rateLimitHeaders,
  RateLimiterUnavailableError,
  type RateDecision,
  type RateLimits,
} from './rate-limit';

/** A fake clock starting at 2030-01-01T00:00:00Z, so minute and day windows start exactly at 0. */
function fakeClock(start = Date.UTC(2030, 0, 1)) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

const limits = (overrides: Partial<Omit<RateLimits, 'spikeArrest'>> & { perSecond?: number; burst?: number }): RateLimits => ({
  perMinute: overrides.perMinute ?? 0,
  perDay: overrides.perDay ?? 0,
  spikeArrest: { perSecond: overrides.perSecond ?? 0, burst: overrides.burst ?? 0 },
});

async function checkTimes(
  limiter: ReturnType<typeof createMemoryRateLimiter>,
  id: string,
  l: RateLimits,
  n: number,
): Promise<RateDecision[]> {
  const out: RateDecision[] = [];
  for (let i = 0; i < n; i++) out.push(await limiter.check(id, l));
  return out;
}

describe('memory rate limiter: SpikeArrest', () => {
  it('admits a burst, refuses the next request with the time until a token is back, and admits again after it', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perSecond: 2, burst: 3 });

    const burst = await checkTimes(limiter, 'c1', l, 3);
    expect(burst.map((d) => d.allowed)).toEqual([true, true, true]);
    expect(burst.map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(burst[2]).toMatchObject({ policy: 'spike-arrest', limit: 3, resetSeconds: 1 });

    const refused = await limiter.check('c1', l);
    expect(refused).toEqual({ allowed: false, policy: 'spike-arrest', limit: 3, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 });

    clock.advance(499); // 0.998 tokens: still not a whole one
    expect((await limiter.check('c1', l)).allowed).toBe(false);
    clock.advance(1); // exactly one token refilled at 2/s
    expect(await limiter.check('c1', l)).toMatchObject({ allowed: true, policy: 'spike-arrest', remaining: 0 });
    expect((await limiter.check('c1', l)).allowed).toBe(false);
  });

  it('refills fractional tokens continuously and never above the burst', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perSecond: 0.5, burst: 2 });
    await checkTimes(limiter, 'c1', l, 2);
    clock.advance(1000); // half a token
    expect((await limiter.check('c1', l)).retryAfterSeconds).toBe(1);
    clock.advance(1000); // one token
    expect((await limiter.check('c1', l)).allowed).toBe(true);
    clock.advance(60 * 60 * 1000); // an hour idle: back to the burst of 2, not 1800 tokens
    expect((await checkTimes(limiter, 'c1', l, 3)).map((d) => d.allowed)).toEqual([true, true, false]);
  });

  it('a refused request consumes no token, so a client that keeps retrying recovers on time', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perSecond: 1, burst: 1 });
    expect((await limiter.check('c1', l)).allowed).toBe(true);
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      expect((await limiter.check('c1', l)).allowed).toBe(false);
    }
    clock.advance(100); // one second after the admitted request, despite nine refusals in between
    expect((await limiter.check('c1', l)).allowed).toBe(true);
  });
});

describe('memory rate limiter: Quota', () => {
  it('counts per calendar minute: exhausted until the next minute starts on the clock, not 60 s after the first request', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1, 12, 0, 45)); // 15 s before the minute ends
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perMinute: 3 });

    const decisions = await checkTimes(limiter, 'c1', l, 3);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0]);
    expect(decisions[0]).toMatchObject({ policy: 'quota-minute', limit: 3, resetSeconds: 15 });

    const refused = await limiter.check('c1', l);
    expect(refused).toEqual({ allowed: false, policy: 'quota-minute', limit: 3, remaining: 0, resetSeconds: 15, retryAfterSeconds: 15 });

    clock.set(Date.UTC(2030, 0, 1, 12, 1, 0));
    expect(await limiter.check('c1', l)).toMatchObject({ allowed: true, remaining: 2, resetSeconds: 60 });
  });

  it('counts per UTC day, resets at midnight UTC, and a refused request is not counted', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1, 23, 0, 0));
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perDay: 2 });
    await checkTimes(limiter, 'c1', l, 2);
    for (let i = 0; i < 5; i++) {
      expect(await limiter.check('c1', l)).toMatchObject({ allowed: false, policy: 'quota-day', retryAfterSeconds: 3600 });
    }
    clock.set(Date.UTC(2030, 0, 2, 0, 0, 0));
    // Two admitted again: the five refusals left nothing behind.
    expect((await checkTimes(limiter, 'c1', l, 3)).map((d) => d.allowed)).toEqual([true, true, false]);
  });

  it('a request refused by a quota consumes no spike-arrest token, and one refused by spike arrest no quota unit', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perSecond: 1, burst: 2, perMinute: 1, perDay: 100 });
    expect((await limiter.check('c1', l)).allowed).toBe(true);
    expect(await limiter.check('c1', l)).toMatchObject({ allowed: false, policy: 'quota-minute' });

    clock.advance(60_000); // next minute; the bucket is full again either way
    const day = limits({ perSecond: 1, burst: 2, perMinute: 10, perDay: 100 });
    expect((await checkTimes(limiter, 'c1', day, 3)).map((d) => d.policy)).toEqual(['spike-arrest', 'spike-arrest', 'spike-arrest']);
    // 1 + 2 admitted so far, the third of this minute refused by spike arrest and not counted.
    clock.advance(1000);
    expect(await limiter.check('c1', limits({ perMinute: 10, perDay: 100 }))).toMatchObject({ policy: 'quota-minute', remaining: 7 });
  });
});

describe('memory rate limiter: which policy decides', () => {
  it('reports the policy closest to refusing when admitted, and the one with the longest wait when refused', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1, 0, 0, 30));
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perSecond: 10, burst: 5, perMinute: 4, perDay: 1000 });

    expect(await limiter.check('c1', l)).toMatchObject({ allowed: true, policy: 'quota-minute', remaining: 3 }); // 4 tokens left vs 3 requests
    // Spike arrest and the minute quota both refuse at once: the minute is the longer wait.
    await checkTimes(limiter, 'c1', l, 3);
    expect(await limiter.check('c1', l)).toMatchObject({ allowed: false, policy: 'quota-minute', retryAfterSeconds: 30 });
  });

  it('keeps consumers apart', async () => {
    const limiter = createMemoryRateLimiter({ now: fakeClock().now });
    const l = limits({ perMinute: 1 });
    expect((await limiter.check('a', l)).allowed).toBe(true);
    expect((await limiter.check('b', l)).allowed).toBe(true);
    expect((await limiter.check('a', l)).allowed).toBe(false);
  });

  it('with no limit configured admits everything and sets no headers', async () => {
    const limiter = createMemoryRateLimiter({ now: fakeClock().now });
    const decision = await limiter.check('c1', limits({}));
    expect(decision).toMatchObject({ allowed: true, limit: 0 });
    expect(rateLimitHeaders(decision)).toEqual({});
  });

  it('rejects negative or non-finite limits with a RangeError', async () => {
    const limiter = createMemoryRateLimiter();
    await expect(limiter.check('c1', limits({ perMinute: -1 }))).rejects.toThrow(RangeError);
    await expect(limiter.check('c1', limits({ perSecond: Number.NaN, burst: 1 }))).rejects.toThrow(/spikeArrest.perSecond/);
  });
});

describe('memory rate limiter: bounded memory', () => {
  it('drops consumers whose windows are over and whose bucket is full again, so they start afresh without a leak', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now, maxConsumers: 2 });
    const l = limits({ perMinute: 1 });
    await limiter.check('a', l);
    await limiter.check('b', l);
    await limiter.check('c', l); // over the cap: 'a', the least recently used, is dropped
    expect((await limiter.check('a', l)).allowed).toBe(true); // started afresh (the cap trades accuracy for memory)
    expect((await limiter.check('c', l)).allowed).toBe(false); // still counted
  });

  it('evicts stale entries as it goes, so one-off consumers do not accumulate', async () => {
    const clock = fakeClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    const l = limits({ perMinute: 5, perSecond: 10, burst: 10 });
    for (let i = 0; i < 1000; i++) {
      await limiter.check(`one-off-${i}`, l);
      clock.advance(1000); // each entry is stale once its minute is over
    }
    // One new consumer a second; an entry lives until its calendar minute ends, so only
    // those of the current minute remain: 16 min 40 s after the start, the last 40.
    expect(limiter.size).toBe(40);
    await limiter.close();
    expect(limiter.size).toBe(0);
  });
});

describe('rateLimitHeaders', () => {
  it('sends the RateLimit-* headers of the deciding policy when admitted', () => {
    expect(rateLimitHeaders({ allowed: true, policy: 'quota-minute', limit: 100, remaining: 42, resetSeconds: 17 })).toEqual({
      'RateLimit-Limit': '100',
      'RateLimit-Remaining': '42',
      'RateLimit-Reset': '17',
    });
  });

  it('adds Retry-After when refused, in whole seconds and at least 1', () => {
    expect(
      rateLimitHeaders({ allowed: false, policy: 'spike-arrest', limit: 5, remaining: 0, resetSeconds: 0.2, retryAfterSeconds: 0.2 }),
    ).toEqual({
      'RateLimit-Limit': '5',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '1',
      'Retry-After': '1',
    });
  });
});

describe('Redis rate limiter without Redis', () => {
  /** Just enough of an ioredis client: defineCommand registers a method, as ioredis does. */
  function fakeRedis(reply: () => Promise<unknown>) {
    const calls: unknown[][] = [];
    const client: Record<string, unknown> = {
      defineCommand(name: string, def: { numberOfKeys: number; lua: string }) {
        expect(def.numberOfKeys).toBe(3);
        client[name] = (...args: unknown[]) => {
          calls.push(args);
          return reply();
        };
      },
    };
    return { client: client as unknown as Redis, calls };
  }

  it('sends one script call with the consumer keys in one hash slot and the injected time', async () => {
    const { client, calls } = fakeRedis(async () => [1, '4', 1, 1]);
    const at = Date.UTC(2030, 0, 1, 0, 1, 30);
    const limiter = createRedisRateLimiter(client, { prefix: 't:', now: () => at });
    const decision = await limiter.check('acme', limits({ perSecond: 1, burst: 5, perMinute: 10, perDay: 100 }));
    expect(calls).toHaveLength(1);
    const minute = Math.floor(at / 60_000);
    const day = Math.floor(at / 86_400_000);
    expect(calls[0]?.slice(0, 4)).toEqual(['t:{acme}:sa', `t:{acme}:m:${minute}`, `t:{acme}:d:${day}`, at]);
    expect(decision).toMatchObject({ allowed: true, policy: 'spike-arrest', remaining: 4 });
  });

  it('turns a Redis failure into RateLimiterUnavailableError with code RATE_LIMITER_UNAVAILABLE and the cause', async () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const { client } = fakeRedis(() => Promise.reject(cause));
    const limiter = createRedisRateLimiter(client);
    const failure = await limiter.check('acme', limits({ perMinute: 1 })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RateLimiterUnavailableError);
    expect(failure).toMatchObject({ code: 'RATE_LIMITER_UNAVAILABLE', cause });
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('does not call Redis when no limit is configured', async () => {
    const { client, calls } = fakeRedis(async () => [1, '0', 0, 0]);
    await createRedisRateLimiter(client).check('acme', limits({}));
    expect(calls).toHaveLength(0);
  });
});
