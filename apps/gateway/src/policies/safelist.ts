import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { HttpGraphQLError } from '@phoenix/service';
import { CONTINUE, type Policy } from '../policy';

/** Apollo's persisted query manifest format (what `generate-persisted-query-manifest` writes). */
const ManifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().regex(/^[0-9a-f]{64}$/, 'must be the hex SHA-256 of body'),
      name: z.string().min(1),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

export type Manifest = z.infer<typeof ManifestSchema>;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function readManifest(path: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`safelist ${path}: cannot read it as JSON: ${(err as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`safelist ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  for (const op of parsed.data.operations) {
    if (sha256(op.body) !== op.id) throw new Error(`safelist ${path}: operation ${op.name}: id is not the SHA-256 of its body`);
  }
  return parsed.data;
}

interface GraphQLBody {
  query?: unknown;
  id?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown; version?: unknown } & Record<string, unknown> } & Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Persisted operations. Registered operations (the manifest) can be sent by id — `id`,
 * or APQ's `extensions.persistedQuery.sha256Hash` — in any mode. In `enforce` mode only
 * registered operations run: a query text that is not in the manifest is refused with
 * OPERATION_NOT_IN_SAFELIST (the usual posture for external clients). APQ for other
 * operations is Apollo Server's own (in memory), and is off in enforce mode. A hash sent
 * with a query it is not the SHA-256 of is PERSISTED_QUERY_HASH_MISMATCH (400) in any mode.
 */
export function createSafelist(options: { mode: 'off' | 'enforce'; manifest: Manifest | null }) {
  const byId = new Map((options.manifest?.operations ?? []).map((op) => [op.id, op.body]));
  const enforce = options.mode === 'enforce';

  return function apply(body: GraphQLBody): GraphQLBody {
    const hash = body.extensions?.persistedQuery?.sha256Hash;
    const persisted = body.extensions?.persistedQuery;
    if (
      persisted !== undefined &&
      (typeof persisted !== 'object' || persisted === null || persisted['version'] !== 1 || typeof persisted['sha256Hash'] !== 'string')
    ) {
      throw new HttpGraphQLError(400, 'BAD_REQUEST', 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<hex>" }');
    }
    // APQ registration: the hash must be the query's (Apollo Server refuses it too, but uncoded).
    if (typeof hash === 'string' && typeof body.query === 'string' && sha256(body.query) !== hash) {
      throw new HttpGraphQLError(
        400,
        'PERSISTED_QUERY_HASH_MISMATCH',
        'extensions.persistedQuery.sha256Hash is not the SHA-256 of query: hash the exact query text (UTF-8, hex)',
      );
    }
    const id = typeof body.id === 'string' ? body.id : typeof hash === 'string' ? hash : null;
    if (id !== null && byId.has(id)) {
      const { id: _id, ...rest } = body;
      const extensions = { ...(body.extensions ?? {}) };
      delete extensions.persistedQuery;
      return { ...rest, query: byId.get(id), extensions };
    }
    if (!enforce) return body;
    if (typeof body.query === 'string' && byId.has(sha256(body.query))) return body;
    throw new HttpGraphQLError(
      400,
      'OPERATION_NOT_IN_SAFELIST',
      id !== null
        ? `operation ${id.slice(0, 12)}… is not registered: only operations in the safelist are accepted`
        : 'only registered operations are accepted: send the id of an operation in the safelist',
    );
  };
}

/** The safelist and persisted operations (createSafelist) for every operation of the request. */
export function safelistPolicy(options: { mode: 'off' | 'enforce'; manifest: Manifest | null }): Policy {
  const apply = createSafelist(options);
  return {
    name: 'safelist',
    onRequest(exchange) {
      const ops = exchange.operations;
      if (ops) for (let i = 0; i < ops.length; i++) ops[i] = apply(ops[i] as GraphQLBody);
      return CONTINUE;
    },
  };
}
