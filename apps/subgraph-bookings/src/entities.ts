import DataLoader from 'dataloader';
import type { EntityType } from '@phoenix/domain';
import { currentByIdsQuery, type Row, type Warehouse } from '@phoenix/bq';
import { loaderFor, ReferenceCache, type SubgraphContext, type SubgraphMetrics } from '@phoenix/subgraph';

/** A current-state row as GraphQL sees it: camelCase fields, `validFrom` from the version columns. */
export interface EntityObject {
  id: string;
  [field: string]: unknown;
}

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function toEntity(row: Row): EntityObject {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) out[camel(column)] = value;
  return out as EntityObject;
}

/**
 * Reference entities change rarely and are read by almost every booking query, so
 * they are served from a process-wide TTL'd cache in front of the per-request loader.
 * Bookings, visits and members are always read fresh.
 */
export const CACHED_TYPES: ReadonlySet<EntityType> = new Set(['building', 'floor', 'desk', 'room', 'team']);

/**
 * Loads current entities by id: one warehouse query per entity type per DataLoader
 * batch (`tenant_id = @tenant AND id IN UNNEST(@ids)`), reference types through the
 * cache. Another tenant's id, a deleted id and an unknown id all load as null.
 */
export function createEntityStore(deps: { warehouse: Warehouse; metrics: SubgraphMetrics; cache: { ttlMs: number; maxEntries: number } }) {
  const cache = new ReferenceCache<EntityObject>(deps.cache);
  const key = (tenantId: string, type: EntityType, id: string) => `${tenantId}\u0000${type}\u0000${id}`;

  function loader(ctx: SubgraphContext, type: EntityType): DataLoader<string, EntityObject | null> {
    const tenantId = ctx.auth.tenantId;
    const cached = cache.enabled && CACHED_TYPES.has(type);
    return loaderFor(
      ctx,
      `current:${type}`,
      async (ids) => {
        const found: EntityObject[] = [];
        const missing: string[] = cached ? [] : [...ids];
        if (cached) {
          for (const id of ids) {
            const hit = cache.get(key(tenantId, type, id));
            deps.metrics.cacheLookups.inc({ entity_type: type, result: hit ? 'hit' : 'miss' });
            if (hit) found.push(hit);
            else missing.push(id);
          }
        }
        if (missing.length > 0) {
          const rows = await ctx.db.query(`load:${type}`, currentByIdsQuery(deps.warehouse, type, { tenantId, ids: missing }));
          for (const row of rows) {
            const entity = toEntity(row);
            if (cached) cache.set(key(tenantId, type, entity.id), entity);
            found.push(entity);
          }
        }
        return found;
      },
      (entity) => entity.id,
    );
  }

  return {
    cache,
    /** The entity, or null when it does not exist for this tenant (also for a null id: an optional reference). */
    load(ctx: SubgraphContext, type: EntityType, id: unknown): Promise<EntityObject | null> {
      if (typeof id !== 'string' || id === '') return Promise.resolve(null);
      return loader(ctx, type).load(id);
    },
    /** Rows a list query already read: later loads of the same ids in this request cost nothing. */
    prime(ctx: SubgraphContext, type: EntityType, entities: readonly EntityObject[]): void {
      const l = loader(ctx, type);
      for (const entity of entities) l.prime(entity.id, entity);
    },
  };
}

export type EntityStore = ReturnType<typeof createEntityStore>;
