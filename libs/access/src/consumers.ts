import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ALL_SCOPES } from '@phoenix/domain';

/**
 * API consumers as code (Apigee's developer apps and API products): who may call the
 * API, for which tenant, with which scopes and limits, and their API keys — stored only
 * as SHA-256 hashes. The gateway reads the file; `npm run consumers` edits it.
 *
 * A key looks like `phx_<keyId>_<secret>`: the key id finds the stored hash without
 * scanning, the 32-byte secret makes a brute force hopeless, and the prefix lets secret
 * scanners recognise a leaked key.
 */
const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const RateLimitsSchema = z.object({
  /** Requests per calendar minute; 0 = unlimited. */
  perMinute: z.int().min(0),
  /** Requests per UTC day; 0 = unlimited. */
  perDay: z.int().min(0),
  /** A smoothed rate: a token bucket refilled at perSecond holding at most burst; 0 = off. */
  spikeArrest: z.object({ perSecond: z.number().min(0), burst: z.int().min(0) }),
});

export const ApiKeySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{2,32}$/, 'must be 2–32 letters or digits'),
  /** Hex SHA-256 of the whole key string. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'),
  createdAt: z.string(),
  revokedAt: z.string().nullable().optional(),
});

export const ConsumerSchema = z.object({
  id: z.string().regex(ID, 'must be lowercase letters, digits, - or _'),
  name: z.string().min(1).max(200),
  tenantId: z.string().regex(ID, 'must be lowercase letters, digits, - or _'),
  scopes: z.array(z.enum(ALL_SCOPES as unknown as [string, ...string[]])),
  keys: z.array(ApiKeySchema).default([]),
  limits: RateLimitsSchema,
});

export const ConsumersFileSchema = z.object({ consumers: z.array(ConsumerSchema) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  const keyIds = new Set<string>();
  file.consumers.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['consumers', i, 'id'], message: `duplicate consumer id ${c.id}` });
    seen.add(c.id);
    c.keys.forEach((k, j) => {
      if (keyIds.has(k.id)) ctx.addIssue({ code: 'custom', path: ['consumers', i, 'keys', j, 'id'], message: `duplicate key id ${k.id}` });
      keyIds.add(k.id);
    });
  });
});

export type RateLimitsConfig = z.infer<typeof RateLimitsSchema>;
export type Consumer = z.infer<typeof ConsumerSchema>;
export type ConsumersFile = z.infer<typeof ConsumersFileSchema>;

const KEY = /^phx_([A-Za-z0-9]{2,32})_([A-Za-z0-9_-]{43})$/;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new key: the full key (shown once) and what is stored. */
export function generateApiKey(now = new Date()): { key: string; stored: z.infer<typeof ApiKeySchema> } {
  const id = randomBytes(6).toString('hex');
  const key = `phx_${id}_${randomBytes(32).toString('base64url')}`;
  return { key, stored: { id, sha256: hashApiKey(key), createdAt: now.toISOString(), revokedAt: null } };
}

/** The key id of a well-formed key, or null. */
export function apiKeyId(key: string): string | null {
  return KEY.exec(key)?.[1] ?? null;
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, sha256: string): boolean {
  const given = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(sha256, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
