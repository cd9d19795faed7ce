import { ReferenceCache } from './cache';

describe('ReferenceCache', () => {
  it('expires entries after the TTL', () => {
    let now = 0;
    const cache = new ReferenceCache<string>({ ttlMs: 1000, maxEntries: 10, now: () => now });
    cache.set('acme\u0000b1', 'Berlin');
    now = 999;
    expect(cache.get('acme\u0000b1')).toBe('Berlin');
    now = 1000;
    expect(cache.get('acme\u0000b1')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('evicts the least recently used entry at the bound', () => {
    const cache = new ReferenceCache<number>({ ttlMs: 60_000, maxEntries: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a'); // a is now the most recently used
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it('stores nothing when turned off', () => {
    const cache = new ReferenceCache<number>({ ttlMs: 60_000, maxEntries: 0 });
    cache.set('a', 1);
    expect([cache.enabled, cache.get('a'), cache.size]).toEqual([false, undefined, 0]);
  });
});
