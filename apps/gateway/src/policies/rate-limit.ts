import type { Redis } from 'ioredis';

/**
 * Apigee's Quota and SpikeArrest policies, per consumer: in memory for one gateway, or in
 * Redis so that every replica shares the same counters.
 *
 * Both limiters run the same decision (`evaluate` here, its Lua twin in RATE_LIMIT_LUA):
 * 1. SpikeArrest, a token bucket refilled continuously at `perSecond` (fractional tokens),
 *    holding at most `burst`; a request needs one whole token.
 * 2. Quota per calendar minute and per UTC day: fixed windows aligned to the clock
 *    (epoch milliseconds divided by the window), as Apigee's calendar quotas.
 * A request is admitted only when every configured policy admits it, and only an admitted
 * request consumes anything: a token and one unit of each quota. A refused request
 * changes nothing, so a client that backs off for Retry-After gets through.
 */

export interface RateLimits {
  /** Quota: requests per calendar minute and per UTC day (Apigee Quota). 0 = unlimited. */
  perMinute: number;
  perDay: number;
  /** SpikeArrest: a smoothed rate — a token bucket refilled at perSecond, holding at most burst. */
  spikeArrest: { perSecond: number; burst: number };
}

export type RatePolicy = 'spike-arrest' | 'quota-minute' | 'quota-day';

export interface RateDecision {
  allowed: boolean;
  /** The policy that decided (the most restrictive one), for headers, errors and metrics. */
  policy: RatePolicy;
  limit: number;
  remaining: number;
  /** Seconds until the window resets / a token is back. */
  resetSeconds: number;
  /** When refused: seconds to wait (Retry-After). */
  retryAfterSeconds?: number;
}

export interface RateLimiter {
  /** Counts one request of `consumerId` against its limits and decides. A refused request is not counted against quotas. */
  check(consumerId: string, limits: RateLimits): Promise<RateDecision>;
  close(): Promise<void>;
}

/**
 * Thrown by the Redis limiter's `check` when it cannot decide: Redis unreachable, timed
 * out, or answering with an error. `code` is always `RATE_LIMITER_UNAVAILABLE`; the
 * original error is the `cause`. Whether the gateway then admits (fail open) or refuses
 * (fail closed) is the caller's policy. Bad limits are a programming error instead: a
 * `RangeError`, from both limiters.
 */
export class RateLimiterUnavailableError extends Error {
  readonly code = 'RATE_LIMITER_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RateLimiterUnavailableError';
  }
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const DAY_MS = 24 * 60 * MINUTE_MS;
/**
 * Counters outlive their window by this much. Replicas pass their own clock (see
 * createRedisRateLimiter), so one whose clock lags a little behind must still find the
 * counter of the window it believes is current rather than start it afresh. NTP keeps
 * hosts within milliseconds; 10 s is a generous margin at a negligible memory cost.
 */
const EXPIRY_GRACE_MS = 10 * SECOND_MS;

/** What the limiters keep per consumer; no entry means a full bucket and no requests yet. */
interface Usage {
  /** Tokens in the bucket at `bucketAt` (epoch ms). */
  tokens: number;
  bucketAt: number;
  /** Requests admitted in the current minute / day window (window = floor(now / length)). */
  minute: number;
  day: number;
}

/** The limits in force, after validation: 0 means the policy is off. */
interface ActiveLimits {
  perSecond: number;
  burst: number;
  perMinute: number;
  perDay: number;
}

function activeLimits(limits: RateLimits): ActiveLimits {
  const check = (name: string, value: number) => {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`rate limit ${name} must be a finite number >= 0, got ${value}`);
    return value;
  };
  const perSecond = check('spikeArrest.perSecond', limits.spikeArrest.perSecond);
  return {
    perSecond,
    // A bucket that holds less than one token would never admit anything.
    burst: perSecond > 0 ? Math.max(1, check('spikeArrest.burst', limits.spikeArrest.burst)) : 0,
    perMinute: Math.floor(check('perMinute', limits.perMinute)),
    perDay: Math.floor(check('perDay', limits.perDay)),
  };
}

const unlimited = (limits: ActiveLimits) => limits.perSecond === 0 && limits.perMinute === 0 && limits.perDay === 0;

/** The decision when no policy is configured: `limit` 0 means unlimited, as in RateLimits; no headers. */
const UNLIMITED: RateDecision = Object.freeze({ allowed: true, policy: 'quota-day', limit: 0, remaining: 0, resetSeconds: 0 });

/** Tokens in the bucket at `now`: refilled since the last admitted request, capped at burst. */
function refill(limits: ActiveLimits, tokens: number, bucketAt: number, now: number): number {
  // A clock that went backwards (or a replica slightly behind) refills nothing.
  return Math.min(limits.burst, tokens + (Math.max(0, now - bucketAt) * limits.perSecond) / SECOND_MS);
}

/** One candidate for the decision: a configured policy and where its consumer stands. */
interface PolicyState {
  policy: RatePolicy;
  limit: number;
  remaining: number;
  resetSeconds: number;
  /** Seconds until this policy would admit again; 0 when it admits now. */
  waitSeconds: number;
}

const ceilSeconds = (ms: number) => Math.max(0, Math.ceil(ms / SECOND_MS - 1e-9));

/**
 * Turns the counters into a decision. `usage` is the state after the request when it was
 * admitted (token and quota units consumed), before it when it was refused.
 */
function decide(limits: ActiveLimits, now: number, allowed: boolean, usage: Usage): RateDecision {
  const states: PolicyState[] = [];
  if (limits.perSecond > 0) {
    const { tokens } = usage;
    const msPerToken = SECOND_MS / limits.perSecond;
    // Until the next whole token (or the bucket is full again, if that comes first).
    const toNextToken = tokens >= limits.burst ? 0 : Math.min(1 - (tokens - Math.floor(tokens)), limits.burst - tokens) * msPerToken;
    states.push({
      policy: 'spike-arrest',
      limit: limits.burst,
      remaining: Math.floor(tokens),
      resetSeconds: ceilSeconds(toNextToken),
      waitSeconds: tokens >= 1 ? 0 : Math.max(1, ceilSeconds((1 - tokens) * msPerToken)),
    });
  }
  const quota = (policy: RatePolicy, limit: number, used: number, windowMs: number) => {
    const resetSeconds = ceilSeconds((Math.floor(now / windowMs) + 1) * windowMs - now);
    states.push({ policy, limit, remaining: Math.max(0, limit - used), resetSeconds, waitSeconds: used >= limit ? resetSeconds : 0 });
  };
  if (limits.perMinute > 0) quota('quota-minute', limits.perMinute, usage.minute, MINUTE_MS);
  if (limits.perDay > 0) quota('quota-day', limits.perDay, usage.day, DAY_MS);

  if (!allowed) {
    // Every refusing policy must admit again before the request can pass: the one that
    // takes longest decides, and its wait is the Retry-After.
    const refusing = states.filter((s) => s.waitSeconds > 0);
    const by = refusing.reduce((a, b) => (b.waitSeconds > a.waitSeconds ? b : a));
    return {
      allowed: false,
      policy: by.policy,
      limit: by.limit,
      remaining: 0,
      resetSeconds: by.resetSeconds,
      retryAfterSeconds: by.waitSeconds,
    };
  }
  // The policy closest to refusing: fewest remaining, then the slowest to recover.
  const by = states.reduce((a, b) =>
    b.remaining < a.remaining || (b.remaining === a.remaining && b.resetSeconds > a.resetSeconds) ? b : a,
  );
  return { allowed: true, policy: by.policy, limit: by.limit, remaining: by.remaining, resetSeconds: by.resetSeconds };
}

// ---------------------------------------------------------------- in memory

interface MemoryEntry extends Usage {
  minuteWindow: number;
  dayWindow: number;
  /** When this entry becomes equivalent to no entry (full bucket, windows over): evictable. */
  staleAt: number;
}

/** Stale entries examined per check (oldest first), which keeps eviction O(1) per request. */
const SWEEP_PER_CHECK = 4;
/** Default cap on consumers held: 100k entries are ~20 MB; each one is a live API consumer. */
const DEFAULT_MAX_CONSUMERS = 100_000;

/**
 * Limits for one gateway process. Memory stays bounded: entries are kept in least recently
 * used order, each check drops a few entries that have become equivalent to no entry
 * (bucket refilled, windows over), and beyond `maxConsumers` the least recently used
 * entry is dropped even if live (its consumer then starts afresh: a cap, not a leak).
 */
export function createMemoryRateLimiter(options: { now?: () => number; maxConsumers?: number } = {}): RateLimiter & {
  /** Consumers currently held (for a gauge, and for tests). */
  readonly size: number;
} {
  const now = options.now ?? Date.now;
  const maxConsumers = options.maxConsumers ?? DEFAULT_MAX_CONSUMERS;
  const entries = new Map<string, MemoryEntry>();

  const sweep = (t: number) => {
    let examined = 0;
    for (const [id, entry] of entries) {
      if (examined++ >= SWEEP_PER_CHECK || entry.staleAt > t) break;
      entries.delete(id);
    }
    while (entries.size > maxConsumers) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
  };

  return {
    async check(consumerId, rawLimits) {
      const limits = activeLimits(rawLimits);
      if (unlimited(limits)) return UNLIMITED;
      const t = now();
      const minuteWindow = Math.floor(t / MINUTE_MS);
      const dayWindow = Math.floor(t / DAY_MS);
      const stored = entries.get(consumerId);
      const before: Usage = {
        tokens: stored ? refill(limits, stored.tokens, stored.bucketAt, t) : limits.burst,
        bucketAt: stored ? Math.max(stored.bucketAt, t) : t,
        minute: stored && stored.minuteWindow === minuteWindow ? stored.minute : 0,
        day: stored && stored.dayWindow === dayWindow ? stored.day : 0,
      };
      const allowed =
        (limits.perSecond === 0 || before.tokens >= 1) &&
        (limits.perMinute === 0 || before.minute < limits.perMinute) &&
        (limits.perDay === 0 || before.day < limits.perDay);
      if (!allowed) return decide(limits, t, false, before);

      const after: Usage = {
        tokens: limits.perSecond > 0 ? before.tokens - 1 : 0,
        bucketAt: before.bucketAt,
        minute: before.minute + 1,
        day: before.day + 1,
      };
      const refilledAt = limits.perSecond > 0 ? after.bucketAt + ((limits.burst - after.tokens) * SECOND_MS) / limits.perSecond : 0;
      const staleAt = Math.max(
        refilledAt,
        limits.perMinute > 0 ? (minuteWindow + 1) * MINUTE_MS : 0,
        limits.perDay > 0 ? (dayWindow + 1) * DAY_MS : 0,
      );
      // Delete then set: Map order is insertion order, so the oldest entry is the least recently used.
      entries.delete(consumerId);
      entries.set(consumerId, { ...after, minuteWindow, dayWindow, staleAt });
      sweep(t);
      return decide(limits, t, true, after);
    },
    async close() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}

// ---------------------------------------------------------------- Redis

/**
 * The whole check as one atomic script, so concurrent checks from any number of replicas
 * never over-admit. Mirrors createMemoryRateLimiter's check step by step.
 * KEYS: 1 bucket hash {t = tokens, at = ms}, 2 minute counter, 3 day counter.
 * ARGV: now ms, perSecond, burst, perMinute, minute counter TTL ms, perDay, day counter TTL ms, grace ms.
 * Returns {admitted 0|1, tokens (string: Lua numbers returned to Redis lose their fraction), minute, day}
 * with the counts after the request when admitted, before it when refused.
 */
export const RATE_LIMIT_LUA = `
local now = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local per_minute = tonumber(ARGV[4])
local per_day = tonumber(ARGV[6])

local tokens = burst
local at = now
if per_second > 0 then
  local bucket = redis.call('HMGET', KEYS[1], 't', 'at')
  if bucket[1] then
    local stored_at = tonumber(bucket[2])
    tokens = math.min(burst, tonumber(bucket[1]) + math.max(0, now - stored_at) * per_second / 1000)
    at = math.max(stored_at, now)
  end
end
local minute = 0
if per_minute > 0 then minute = tonumber(redis.call('GET', KEYS[2]) or '0') end
local day = 0
if per_day > 0 then day = tonumber(redis.call('GET', KEYS[3]) or '0') end

if (per_second > 0 and tokens < 1) or (per_minute > 0 and minute >= per_minute) or (per_day > 0 and day >= per_day) then
  return {0, string.format('%.17g', tokens), minute, day}
end

if per_second > 0 then
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'at', string.format('%d', at))
  -- No bucket means a full bucket, so the key may go once it would have refilled.
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / per_second) + tonumber(ARGV[8]))
end
if per_minute > 0 then
  minute = redis.call('INCR', KEYS[2])
  if minute == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
end
if per_day > 0 then
  day = redis.call('INCR', KEYS[3])
  if day == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[7]) end
end
return {1, string.format('%.17g', tokens), minute, day}
`;

const COMMAND = 'phoenixRateLimitCheck';
type RateLimitCommand = (...args: (string | number)[]) => Promise<[number, string, number, number]>;

/**
 * Limits shared by every gateway replica through Redis: one atomic Lua script per check
 * (EVALSHA through ioredis `defineCommand`, which falls back to EVAL once per connection),
 * keys under `prefix` that expire on their own.
 *
 * Time comes from `now` (default Date.now) and is passed to the script as an argument;
 * the script never reads the Redis server's TIME. Windows and key names are computed from
 * that one clock, the memory limiter makes the same decisions from the same clock, and
 * tests stay deterministic. Replicas' clocks must therefore agree (NTP; small skew only
 * moves a window boundary by the skew, and EXPIRY_GRACE_MS covers lagging replicas).
 *
 * Keys per consumer (one Redis Cluster hash slot per consumer through the `{id}` tag):
 * `<prefix>{<id>}:sa` (bucket), `<prefix>{<id>}:m:<minute>`, `<prefix>{<id>}:d:<day>`.
 *
 * Errors: when Redis cannot answer, `check` rejects with RateLimiterUnavailableError. How
 * long that takes is the client's configuration: for the request path use something like
 * `{ commandTimeout: 100, maxRetriesPerRequest: 1, enableOfflineQueue: false }`, or a
 * Redis outage stalls every request while ioredis retries. `close` does not close the
 * client: whoever created it owns it (it may be shared with other features).
 */
export function createRedisRateLimiter(redis: Redis, options: { prefix?: string; now?: () => number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? 'phoenix:rate:';
  redis.defineCommand(COMMAND, { numberOfKeys: 3, lua: RATE_LIMIT_LUA });
  const run = (redis as unknown as Record<typeof COMMAND, RateLimitCommand>)[COMMAND].bind(redis);

  return {
    async check(consumerId, rawLimits) {
      const limits = activeLimits(rawLimits);
      if (unlimited(limits)) return UNLIMITED;
      const t = Math.floor(now());
      const minuteWindow = Math.floor(t / MINUTE_MS);
      const dayWindow = Math.floor(t / DAY_MS);
      const key = `${prefix}{${consumerId}}`;
      let reply: [number, string, number, number];
      try {
        reply = await run(
          `${key}:sa`,
          `${key}:m:${minuteWindow}`,
          `${key}:d:${dayWindow}`,
          t,
          limits.perSecond,
          limits.burst,
          limits.perMinute,
          (minuteWindow + 1) * MINUTE_MS - t + EXPIRY_GRACE_MS,
          limits.perDay,
          (dayWindow + 1) * DAY_MS - t + EXPIRY_GRACE_MS,
          EXPIRY_GRACE_MS,
        );
      } catch (err) {
        throw new RateLimiterUnavailableError(`rate limiter: Redis did not answer the check: ${(err as Error).message}`, { cause: err });
      }
      const [admitted, tokens, minute, day] = reply;
      return decide(limits, t, admitted === 1, { tokens: Number(tokens), bucketAt: t, minute: Number(minute), day: Number(day) });
    },
    async close() {
      // The client belongs to the caller; nothing of ours to release.
    },
  };
}

// ---------------------------------------------------------------- headers

/**
 * IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers: RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset) and Retry-After when refused.
 * Values are the deciding policy's, as non-negative integers (seconds for the reset), the
 * form that draft revision specifies. An unlimited decision (limit 0) gets no headers.
 */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  if (decision.limit <= 0) return {};
  const int = (n: number) => String(Math.max(0, Math.floor(n)));
  const headers: Record<string, string> = {
    'RateLimit-Limit': int(decision.limit),
    'RateLimit-Remaining': int(decision.remaining),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(decision.resetSeconds))),
  };
  if (!decision.allowed) headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterSeconds ?? decision.resetSeconds)));
  return headers;
}
