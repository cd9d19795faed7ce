import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConsumersFileSchema, generateApiKey, type Consumer, type ConsumersFile, type RateLimitsConfig } from '@phoenix/access';

export class ConsumersCliError extends Error {}

export function readFile(path: string): ConsumersFile {
  if (!existsSync(path)) return { consumers: [] };
  const parsed = ConsumersFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    throw new ConsumersCliError(`${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Writes atomically (temp file + rename), so the gateway's reload never sees half a file. */
export function writeFile(path: string, file: ConsumersFile): void {
  const checked = ConsumersFileSchema.parse(file);
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${process.pid}-${Date.now()}.consumers.tmp`);
  writeFileSync(temp, `${JSON.stringify(checked, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

export const DEFAULT_LIMITS: RateLimitsConfig = { perMinute: 600, perDay: 100_000, spikeArrest: { perSecond: 20, burst: 40 } };

export function addConsumer(file: ConsumersFile, consumer: Omit<Consumer, 'keys'>): ConsumersFile {
  if (file.consumers.some((c) => c.id === consumer.id)) throw new ConsumersCliError(`consumer ${consumer.id} exists already`);
  return { consumers: [...file.consumers, { ...consumer, keys: [] }] };
}

/** Issues a key: returns the new file and the key, which is shown once and never stored. */
export function issueKey(file: ConsumersFile, consumerId: string, now = new Date()): { file: ConsumersFile; key: string; keyId: string } {
  const consumer = file.consumers.find((c) => c.id === consumerId);
  if (!consumer) throw new ConsumersCliError(`no consumer ${consumerId}: add it first (npm run consumers -- add --id ${consumerId} …)`);
  const { key, stored } = generateApiKey(now);
  return {
    file: { consumers: file.consumers.map((c) => (c.id === consumerId ? { ...c, keys: [...c.keys, stored] } : c)) },
    key,
    keyId: stored.id,
  };
}

export function revokeKey(file: ConsumersFile, keyId: string, now = new Date()): { file: ConsumersFile; consumerId: string } {
  const owner = file.consumers.find((c) => c.keys.some((k) => k.id === keyId));
  if (!owner) throw new ConsumersCliError(`no key ${keyId}`);
  const key = owner.keys.find((k) => k.id === keyId);
  if (key?.revokedAt) throw new ConsumersCliError(`key ${keyId} was revoked already, at ${key.revokedAt}`);
  return {
    file: {
      consumers: file.consumers.map((c) =>
        c.id === owner.id ? { ...c, keys: c.keys.map((k) => (k.id === keyId ? { ...k, revokedAt: now.toISOString() } : k)) } : c,
      ),
    },
    consumerId: owner.id,
  };
}

export interface ConsumerChanges {
  name?: string;
  scopes?: string[];
  limits?: { perMinute?: number; perDay?: number; spikeArrest?: { perSecond?: number; burst?: number } };
}

/**
 * Changes a consumer's name, scopes or limits; what is not given stays. Its keys and
 * tenant stay too: a consumer never moves to another tenant (remove it and add a new one).
 */
export function updateConsumer(file: ConsumersFile, consumerId: string, changes: ConsumerChanges): ConsumersFile {
  const current = file.consumers.find((c) => c.id === consumerId);
  if (!current) throw new ConsumersCliError(`no consumer ${consumerId}`);
  const limits = changes.limits ?? {};
  const updated: Consumer = {
    ...current,
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.scopes !== undefined ? { scopes: changes.scopes } : {}),
    limits: {
      perMinute: limits.perMinute ?? current.limits.perMinute,
      perDay: limits.perDay ?? current.limits.perDay,
      spikeArrest: {
        perSecond: limits.spikeArrest?.perSecond ?? current.limits.spikeArrest.perSecond,
        burst: limits.spikeArrest?.burst ?? current.limits.spikeArrest.burst,
      },
    },
  };
  return { consumers: file.consumers.map((c) => (c.id === consumerId ? updated : c)) };
}

/** Removes a consumer with all its keys: the gateway refuses them once it has reloaded the file. */
export function removeConsumer(file: ConsumersFile, consumerId: string): { file: ConsumersFile; keys: number } {
  const current = file.consumers.find((c) => c.id === consumerId);
  if (!current) throw new ConsumersCliError(`no consumer ${consumerId}`);
  return { file: { consumers: file.consumers.filter((c) => c.id !== consumerId) }, keys: current.keys.length };
}
