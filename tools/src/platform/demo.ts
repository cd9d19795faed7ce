import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_SCOPES } from '@phoenix/domain';
import { generateEvents, type GeneratedMessage } from '@phoenix/fixtures';
import { addConsumer, issueKey, readFile, writeFile } from '../consumers/edit';

export const DEMO_TENANT = 'acme';

/**
 * The demo's local state in .local/demo, reused by every later start: the context
 * secret the apps share, a consumers file with one demo consumer (all scopes), and its
 * API key — kept in a file only because this is a local demo, so a second start can
 * print it again.
 */
export function demoState(
  dir: string,
  dataset: string,
): { consumersFile: string; apiKey: string; contextSecret: string; seededMarker: string } {
  mkdirSync(dir, { recursive: true });
  const secretFile = join(dir, 'context-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
  const consumersFile = join(dir, 'consumers.json');
  const keyFile = join(dir, 'api-key');
  if (!existsSync(keyFile) || !existsSync(consumersFile)) {
    let file = readFile(consumersFile);
    if (!file.consumers.some((c) => c.id === 'demo')) {
      file = addConsumer(file, {
        id: 'demo',
        name: 'Local demo',
        tenantId: DEMO_TENANT,
        scopes: [...ALL_SCOPES],
        limits: { perMinute: 1200, perDay: 500_000, spikeArrest: { perSecond: 50, burst: 100 } },
      });
    }
    const issued = issueKey(file, 'demo');
    writeFile(consumersFile, issued.file);
    writeFileSync(keyFile, issued.key, { mode: 0o600 });
  }
  return {
    consumersFile,
    apiKey: readFileSync(keyFile, 'utf8').trim(),
    contextSecret: readFileSync(secretFile, 'utf8').trim(),
    // Per dataset: another dataset (a test's, say) gets its own demo data.
    seededMarker: join(dir, `seeded-${dataset}`),
  };
}

/**
 * The demo stream: two tenants over two weeks from the seeded generator. The first part
 * seeds the warehouse; the rest trickles in while the platform runs, so the change feed
 * and the metrics move. Duplicates and a few malformed messages are in it on purpose:
 * they show up as duplicates and dead letters.
 */
export function* demoStream(): Generator<GeneratedMessage> {
  const stream = generateEvents({
    seed: 2026,
    tenants: 2,
    days: 14,
    buildingsPerTenant: 2,
    floorsPerBuilding: 2,
    desksPerFloor: 8,
    roomsPerFloor: 2,
    teamsPerTenant: 4,
    membersPerTenant: 40,
    visitsPerBuildingPerDay: 2,
    duplicates: 0.01,
    reorder: 0.05,
    malformed: 0.002,
  });
  for (const message of stream) {
    // The generator's oversized messages exceed Kafka's own 1 MB message limit, so the broker
    // would refuse the whole send; the other malformed ones show up as dead letters.
    if (Buffer.byteLength(message.value) > 512 * 1024) continue;
    yield message;
  }
}
