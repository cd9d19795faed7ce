import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { ConsumersFileSchema, type Consumer, type ConsumersFile } from '@phoenix/access';

export class ConsumersFileError extends Error {
  constructor(path: string, problems: readonly string[]) {
    super(`consumers file ${path} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConsumersFileError';
  }
}

export function readConsumersFile(path: string): ConsumersFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConsumersFileError(path, [`cannot read it as JSON: ${(err as Error).message}`]);
  }
  const parsed = ConsumersFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConsumersFileError(
      path,
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  return parsed.data;
}

/**
 * The consumers the gateway knows, by id and by key id. The file is re-read when it
 * changes (polled once a second, which also works on bind mounts and ConfigMaps), so an
 * issued or revoked key takes effect without a restart. A broken edit keeps the last
 * good version and is logged.
 */
export function createConsumerStore(path: string, logger: Logger) {
  let byId = new Map<string, Consumer>();
  let byKeyId = new Map<string, { consumer: Consumer; sha256: string; revoked: boolean }>();

  const load = (file: ConsumersFile) => {
    byId = new Map(file.consumers.map((c) => [c.id, c]));
    byKeyId = new Map(
      file.consumers.flatMap((c) => c.keys.map((k) => [k.id, { consumer: c, sha256: k.sha256, revoked: Boolean(k.revokedAt) }])),
    );
  };
  load(readConsumersFile(path));

  const onChange = () => {
    try {
      load(readConsumersFile(path));
      logger.info({ consumers: byId.size }, 'consumers file reloaded');
    } catch (err) {
      logger.error({ err }, 'consumers file changed but is invalid: keeping the previous version');
    }
  };
  watchFile(path, { interval: 1000 }, onChange);

  return {
    get: (consumerId: string) => byId.get(consumerId),
    byKeyId: (keyId: string) => byKeyId.get(keyId),
    get size() {
      return byId.size;
    },
    reload: onChange,
    close: () => unwatchFile(path, onChange),
  };
}

export type ConsumerStore = ReturnType<typeof createConsumerStore>;
