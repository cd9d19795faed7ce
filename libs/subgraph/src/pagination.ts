import { createHash } from 'node:crypto';
import { badUserInput } from '@phoenix/service';

/** Page size bounds shared by every list field: `first` defaults to 20 and may not exceed 100. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<K> {
  /** Rows to fetch: the page plus one, to know whether there is a next page. */
  limit: number;
  size: number;
  /** The key after which this page starts, decoded and validated from `after`; null for the first page. */
  after: K | null;
  /** Encodes a row's key into a cursor bound to the same list and arguments. */
  cursor(key: K): string;
}

/**
 * How one list writes its position into a cursor and reads it back. Cursors are readable
 * by clients (not signed), so `decode` checks every value against what `encode` writes
 * and returns null for anything else: what it returns is trusted from there inward.
 */
export interface CursorKey<K> {
  encode(key: K): readonly unknown[];
  decode(raw: readonly unknown[]): K | null;
}

/**
 * Relay cursors are opaque to clients but must not be transplanted: each one carries a
 * fingerprint of the list and its filters/order, and a cursor from another list or
 * other arguments, or whose key the list's CursorKey refuses, is refused with
 * BAD_USER_INPUT rather than silently skipping rows. This is the only place a cursor
 * is validated.
 */
export function page<K>(
  args: PageArgs,
  scope: { list: string; arguments: unknown },
  key: CursorKey<K>,
  options: { defaultSize?: number; maxSize?: number } = {},
): Page<K> {
  const max = options.maxSize ?? MAX_PAGE_SIZE;
  const size = args.first ?? options.defaultSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw badUserInput('first', `must be between 1 and ${max} (got ${size}); page through larger lists with after: endCursor`);
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([scope.list, scope.arguments]))
    .digest('base64url')
    .slice(0, 12);
  let after: K | null = null;
  if (args.after !== undefined && args.after !== null) {
    const raw = decode(args.after, fingerprint);
    after = raw === null ? null : key.decode(raw);
    if (after === null) {
      throw badUserInput(
        'after',
        'is not a cursor of this list with these arguments: pass the endCursor of the previous page, unchanged, with the same filters and order',
      );
    }
  }
  return {
    limit: size + 1,
    size,
    after,
    cursor: (k) => Buffer.from(JSON.stringify({ f: fingerprint, k: key.encode(k) })).toString('base64url'),
  };
}

function decode(cursor: string, fingerprint: string): readonly unknown[] | null {
  if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { f?: unknown; k?: unknown };
    return parsed.f === fingerprint && Array.isArray(parsed.k) ? parsed.k : null;
  } catch {
    return null;
  }
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A Relay connection from the rows of a `limit = size + 1` query. */
export function connection<T, K>(p: Page<K>, rows: readonly T[], keyOf: (row: T) => K): Connection<T> {
  const nodes = rows.slice(0, p.size);
  const edges = nodes.map((node) => ({ cursor: p.cursor(keyOf(node)), node }));
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage: rows.length > p.size,
      hasPreviousPage: p.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
