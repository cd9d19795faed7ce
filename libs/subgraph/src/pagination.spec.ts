import { GraphQLError } from 'graphql';
import { connection, MAX_PAGE_SIZE, page, type CursorKey } from './pagination';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GraphQLError ? [err.extensions['code'], err.extensions['argument']] : ['not a GraphQLError'];
  }
  return ['no error'];
};

/** A (day, id) position, as an object inward and as a pair in the cursor. */
interface DayKey {
  day: string;
  id: string;
}
const dayKey: CursorKey<DayKey> = {
  encode: (k) => [k.day, k.id],
  decode: ([day, id, ...rest]) =>
    rest.length === 0 && typeof day === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(day) && typeof id === 'string' ? { day, id } : null,
};

describe('page and connection', () => {
  const scope = { list: 'deskBookings', arguments: { filter: { buildingId: 'b1' } } };

  it('defaults to 20 rows and asks the warehouse for one more', () => {
    const p = page({}, scope, dayKey);
    expect([p.size, p.limit, p.after]).toEqual([20, 21, null]);
  });

  it('refuses page sizes outside 1..100 with BAD_USER_INPUT naming the argument', () => {
    expect(code(() => page({ first: MAX_PAGE_SIZE + 1 }, scope, dayKey))).toEqual(['BAD_USER_INPUT', 'first']);
    expect(code(() => page({ first: 0 }, scope, dayKey))).toEqual(['BAD_USER_INPUT', 'first']);
    expect(page({ first: MAX_PAGE_SIZE }, scope, dayKey).size).toBe(MAX_PAGE_SIZE);
  });

  it('round-trips a cursor, and refuses it for other arguments, another list, or when tampered with', () => {
    const first = page({ first: 2 }, scope, dayKey);
    const result = connection(first, [{ id: 'a' }, { id: 'b' }, { id: 'c' }], (r) => ({ day: '2026-01-05', id: r.id }));
    expect(result.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(result.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const cursor = result.pageInfo.endCursor as string;
    // What goes inward is the list's own key type, decoded and checked once here.
    expect(page({ after: cursor }, scope, dayKey).after).toEqual({ day: '2026-01-05', id: 'b' });

    expect(code(() => page({ after: cursor }, { ...scope, arguments: { filter: { buildingId: 'b2' } } }, dayKey))).toEqual([
      'BAD_USER_INPUT',
      'after',
    ]);
    expect(code(() => page({ after: cursor }, { ...scope, list: 'roomBookings' }, dayKey))).toEqual(['BAD_USER_INPUT', 'after']);
    expect(code(() => page({ after: cursor.slice(0, -2) }, scope, dayKey))).toEqual(['BAD_USER_INPUT', 'after']);
    expect(code(() => page({ after: 'not a cursor!' }, scope, dayKey))).toEqual(['BAD_USER_INPUT', 'after']);
  });

  it("refuses a well-formed, correctly bound cursor whose key the list's CursorKey refuses", () => {
    const forged = (k: unknown[]) => page({}, scope, { encode: () => k, decode: () => null }).cursor(null);
    for (const k of [[1, 2], ['yesterday', 'b'], ['2026-01-05'], ['2026-01-05', 'b', 'extra']]) {
      expect(code(() => page({ after: forged(k) }, scope, dayKey))).toEqual(['BAD_USER_INPUT', 'after']);
    }
  });

  it('reports an empty last page', () => {
    const result = connection(page({}, scope, dayKey), [], (r: { id: string }) => ({ day: '2026-01-05', id: r.id }));
    expect(result.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });
});
