import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConsumersFileSchema, generateApiKey, type Consumer, type ConsumersFile, type RateLimitsConfig } from '@phoenix/domain';

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
