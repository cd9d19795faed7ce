import { GraphQLError } from 'graphql';
import { connection, MAX_PAGE_SIZE, page } from './pagination';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GraphQLError ? [err.extensions['code'], err.extensions['argument']] : ['not a GraphQLError'];
  }
  return ['no error'];
};

describe('page and connection', () => {
  const scope = { list: 'deskBookings', arguments: { filter: { buildingId: 'b1' } } };

  it('defaults to 20 rows and asks the warehouse for one more', () => {
    const p = page({}, scope);
    expect([p.size, p.limit, p.after]).toEqual([20, 21, null]);
  });

  it('refuses page sizes outside 1..100 with BAD_USER_INPUT naming the argument', () => {
    expect(code(() => page({ first: MAX_PAGE_SIZE + 1 }, scope))).toEqual(['BAD_USER_INPUT', 'first']);
    expect(code(() => page({ first: 0 }, scope))).toEqual(['BAD_USER_INPUT', 'first']);
    expect(page({ first: MAX_PAGE_SIZE }, scope).size).toBe(MAX_PAGE_SIZE);
  });

  it('round-trips a cursor, and refuses it for other arguments, another list, or when tampered with', () => {
    const first = page<[string, string]>({ first: 2 }, scope);
    const result = connection(first, [{ id: 'a' }, { id: 'b' }, { id: 'c' }], (r) => ['2026-01-05', r.id] as [string, string]);
    expect(result.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(result.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const cursor = result.pageInfo.endCursor as string;
    expect(page({ after: cursor }, scope).after).toEqual(['2026-01-05', 'b']);

    expect(code(() => page({ after: cursor }, { ...scope, arguments: { filter: { buildingId: 'b2' } } }))).toEqual([
      'BAD_USER_INPUT',
      'after',
    ]);
    expect(code(() => page({ after: cursor }, { ...scope, list: 'roomBookings' }))).toEqual(['BAD_USER_INPUT', 'after']);
    expect(code(() => page({ after: cursor.slice(0, -2) }, scope))).toEqual(['BAD_USER_INPUT', 'after']);
    expect(code(() => page({ after: 'not a cursor!' }, scope))).toEqual(['BAD_USER_INPUT', 'after']);
  });

  it('runs a key validator so a well-formed cursor with a wrong key shape is refused too', () => {
    const p = page({}, scope);
    const cursor = p.cursor([1, 2]);
    const isStringPair = (k: readonly unknown[]): k is [string, string] => k.length === 2 && k.every((v) => typeof v === 'string');
    expect(code(() => page({ after: cursor }, scope, { validateKey: isStringPair }))).toEqual(['BAD_USER_INPUT', 'after']);
  });

  it('reports an empty last page', () => {
    const result = connection(page({}, scope), [], (r: { id: string }) => [r.id]);
    expect(result.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
  });
});
