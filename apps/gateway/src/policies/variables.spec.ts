import { createHash } from 'node:crypto';
import { HttpGraphQLError } from '@phoenix/service';
import { checkRequestValues, feedValue } from './variables';

/** A value nested `depth` arrays deep, built without recursion. */
const nested = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const refusal = (values: Record<string, unknown>, maxDepth = 8) => {
  try {
    checkRequestValues(values, maxDepth);
    return null;
  } catch (err) {
    return err instanceof HttpGraphQLError ? [err.status, err.code] : err;
  }
};
const digest = (value: unknown) => {
  const hash = createHash('sha256');
  feedValue(value, (chunk) => hash.update(chunk));
  return hash.digest('hex');
};

describe('variable nesting and well-formed strings', () => {
  it('accepts values up to the depth limit and refuses one level more with MAX_VARIABLE_DEPTH_EXCEEDED', () => {
    expect(refusal({ variables: { filter: nested(7) } })).toBeNull();
    expect(refusal({ variables: { filter: nested(8) } })).toEqual([400, 'MAX_VARIABLE_DEPTH_EXCEEDED']);
    expect(refusal({ extensions: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } })).toEqual([
      400,
      'MAX_VARIABLE_DEPTH_EXCEEDED',
    ]);
  });

  it('walks 5,000 levels without exhausting the stack', () => {
    expect(refusal({ variables: { x: nested(5_000) } }, 32)).toEqual([400, 'MAX_VARIABLE_DEPTH_EXCEEDED']);
  });

  it('refuses a lone surrogate in a string or a key with BAD_USER_INPUT, and accepts a real pair', () => {
    expect(refusal({ variables: { id: '\ud800' } })).toEqual([400, 'BAD_USER_INPUT']);
    expect(refusal({ variables: { filter: { ids: ['ok', 'x\udc00'] } } })).toEqual([400, 'BAD_USER_INPUT']);
    expect(refusal({ variables: { filter: { '\udbff': 1 } } })).toEqual([400, 'BAD_USER_INPUT']);
    expect(refusal({ variables: { name: 'Zoë 😀 \ud83d\ude00' } })).toBeNull();
  });
});

describe('the cache key digest of a value', () => {
  it('is the same whatever the key order, and differs for different shapes', () => {
    expect(digest({ a: 1, b: [1, { c: 'x' }] })).toBe(digest({ b: [1, { c: 'x' }], a: 1 }));
    expect(digest([[1], 2])).not.toBe(digest([[1, 2]]));
    expect(digest({ a: '1' })).not.toBe(digest({ a: 1 }));
    expect(digest({ 'a,"b":': 1 })).not.toBe(digest({ a: 1, b: 1 }));
  });

  it('digests 100,000 levels of nesting without recursion', () => {
    expect(digest(nested(100_000))).toMatch(/^[0-9a-f]{64}$/);
  });
});
