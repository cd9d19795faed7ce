import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The service's shared memory in Redis, the same for every replica and across restarts:
 * idempotency receipts and the claims that keep two bookings off one desk or room.
 * Every key is tenant-scoped. Each operation is one atomic command or Lua script.
 */
export interface WriteStore {
  /**
   * Starts a keyed write. `new`: this caller owns the key (until `complete`, `release` or
   * `pendingMs`); `done`: an earlier write with this key finished, here is what it answered;
   * `pending`: another request with the key is in flight; `reused`: the key was used for a
   * different request (another fingerprint).
   */
  begin(key: string, fingerprint: string, pendingMs: number): Promise<Begin>;
  /** Stores the answer of a keyed write for `ttlSeconds`; a retry gets it back. */
  complete(key: string, token: string, fingerprint: string, answer: unknown, ttlSeconds: number): Promise<void>;
  /** Gives up a keyed write that was not acknowledged, so a retry may try again at once. */
  release(key: string, token: string): Promise<void>;
  /**
   * Claims [start, end) of a resource (a desk's day, a room) for `holder`, atomically
   * against every unexpired claim of other holders. Returns the holder in the way, if any.
   */
  claim(resource: string, holder: string, start: number, end: number, ttlSeconds: number): Promise<string | null>;
  /** Drops a holder's claim (the booking was refused, failed or cancelled). */
  unclaim(resource: string, holder: string): Promise<void>;
  /** The state last commanded for an entity, as JSON text (the warehouse may not show it yet). */
  lastState(entity: string): Promise<string | null>;
  setLastState(entity: string, json: string, ttlSeconds: number): Promise<void>;
  /** Serialises commands on one entity across replicas; false when another holds it. */
  lock(entity: string, token: string, ttlMs: number): Promise<boolean>;
  unlock(entity: string, token: string): Promise<void>;
}

export type Begin = { state: 'new'; token: string } | { state: 'done'; answer: unknown } | { state: 'pending' } | { state: 'reused' };

// KEYS[1] = claims hash (holder → "start end expiresAt"); ARGV = holder, start, end, now, ttlMs.
// Expired claims are dropped on the way; an overlap with another live holder wins over this one.
const CLAIM_SCRIPT = `
local now = tonumber(ARGV[4])
local start = tonumber(ARGV[2])
local finish = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local holder = all[i]
  local s, e, x = string.match(all[i + 1], '^(%d+) (%d+) (%d+)$')
  if tonumber(x) <= now then
    redis.call('HDEL', KEYS[1], holder)
  elseif holder ~= ARGV[1] and tonumber(s) < finish and tonumber(e) > start then
    return holder
  end
end
local expires = now + tonumber(ARGV[5])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. expires)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
return false
`;

// Deletes a key only while it still holds this caller's token.
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Overwrites a pending marker with the answer only while the marker is this caller's.
const COMPLETE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
`;

const PENDING = 'pending:';
const DONE = 'done:';

export function createWriteStore(redis: Redis, prefix: string): WriteStore {
  const idem = (key: string) => `${prefix}idem:${key}`;
  return {
    async begin(key, fingerprint, pendingMs) {
      const token = `${PENDING}${fingerprint}:${randomUUID()}`;
      const set = await redis.set(idem(key), token, 'PX', pendingMs, 'NX');
      if (set === 'OK') return { state: 'new', token };
      const current = await redis.get(idem(key));
      // Expired or released between the two commands: try once more.
      if (current === null) {
        const again = await redis.set(idem(key), token, 'PX', pendingMs, 'NX');
        return again === 'OK' ? { state: 'new', token } : { state: 'pending' };
      }
      if (current.startsWith(PENDING)) {
        return current.slice(PENDING.length).startsWith(`${fingerprint}:`) ? { state: 'pending' } : { state: 'reused' };
      }
      const stored = JSON.parse(current.slice(DONE.length)) as { fingerprint: string; answer: unknown };
      return stored.fingerprint === fingerprint ? { state: 'done', answer: stored.answer } : { state: 'reused' };
    },
    async complete(key, token, fingerprint, answer, ttlSeconds) {
      await redis.eval(COMPLETE_SCRIPT, 1, idem(key), token, `${DONE}${JSON.stringify({ fingerprint, answer })}`, String(ttlSeconds));
    },
    async release(key, token) {
      await redis.eval(RELEASE_SCRIPT, 1, idem(key), token);
    },
    async claim(resource, holder, start, end, ttlSeconds) {
      const winner = await redis.eval(
        CLAIM_SCRIPT,
        1,
        `${prefix}claim:${resource}`,
        holder,
        String(start),
        String(end),
        String(Date.now()),
        String(ttlSeconds * 1000),
      );
      return typeof winner === 'string' ? winner : null;
    },
    async unclaim(resource, holder) {
      await redis.hdel(`${prefix}claim:${resource}`, holder);
    },
    lastState: (entity) => redis.get(`${prefix}state:${entity}`),
    async setLastState(entity, json, ttlSeconds) {
      await redis.set(`${prefix}state:${entity}`, json, 'EX', ttlSeconds);
    },
    async lock(entity, token, ttlMs) {
      return (await redis.set(`${prefix}lock:${entity}`, token, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async unlock(entity, token) {
      await redis.eval(RELEASE_SCRIPT, 1, `${prefix}lock:${entity}`, token);
    },
  };
}

/** A stable digest of a request body: a retry with the same key must send the same request. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('base64url').slice(0, 22);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The event id an idempotency key stands for: the same tenant, consumer and key always
 * name the same event, so even a retry that produces again (after a crash between Kafka's
 * acknowledgement and the stored receipt) is recorded once by the ingest.
 */
export function keyedId(prefix: string, tenantId: string, consumerId: string, key: string, part = ''): string {
  const digest = createHash('sha256').update(`${tenantId}\0${consumerId}\0${key}\0${part}`).digest('base64url').slice(0, 32);
  return `${prefix}${digest.replace(/[_-]/g, (c) => (c === '_' ? 'x' : 'y'))}`;
}
