import DataLoader from 'dataloader';
import type { SubgraphContext } from './context';

/**
 * The request's DataLoader for `key`: every `load(id)` in one tick becomes one call of
 * `batch(ids)`, and each id is loaded once per request. `batch` returns rows in any
 * order; they are matched back to the ids by `idOf`, and ids without a row get null.
 */
export function loaderFor<V>(
  ctx: SubgraphContext,
  key: string,
  batch: (ids: readonly string[]) => Promise<readonly V[]>,
  idOf: (value: V) => string,
): DataLoader<string, V | null> {
  return ctx.memo(
    `loader:${key}`,
    () =>
      new DataLoader<string, V | null>(
        async (ids) => {
          const byId = new Map((await batch(ids)).map((v) => [idOf(v), v]));
          return ids.map((id) => byId.get(id) ?? null);
        },
        // A query parameter array of 500 ids stays well inside BigQuery's request limits.
        { maxBatchSize: 500 },
      ),
  );
}

/** Like loaderFor, but each id maps to a list of values (e.g. the versions of an entity). */
export function groupLoaderFor<V>(
  ctx: SubgraphContext,
  key: string,
  batch: (ids: readonly string[]) => Promise<readonly V[]>,
  idOf: (value: V) => string,
): DataLoader<string, V[]> {
  return ctx.memo(
    `group-loader:${key}`,
    () =>
      new DataLoader<string, V[]>(
        async (ids) => {
          const byId = new Map<string, V[]>();
          for (const v of await batch(ids)) {
            const list = byId.get(idOf(v));
            if (list) list.push(v);
            else byId.set(idOf(v), [v]);
          }
          return ids.map((id) => byId.get(id) ?? []);
        },
        { maxBatchSize: 500 },
      ),
  );
}
