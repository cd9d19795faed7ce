import { listKey } from './lists';

// A list cursor's key is checked once, here, against the order column's type; the
// warehouse read takes it as given.
describe('list cursor keys', () => {
  it('round-trip (order value, id) for every order column kind', () => {
    for (const [kind, value] of [
      ['string', 'Berlin'],
      ['int', -2],
      ['timestamp', '2026-01-05T09:00:00Z'],
      ['date', '2026-01-05'],
    ] as const) {
      const key = listKey(kind);
      expect(key.decode(key.encode([value, 'id_1']))).toEqual([value, 'id_1']);
    }
  });

  it.each([
    ['a number for a string column', 'string', [1, 'id']],
    ['a string for an int column', 'int', ['1', 'id']],
    ['a fraction for an int column', 'int', [1.5, 'id']],
    ['a non-timestamp for a timestamp column', 'timestamp', ['yesterday', 'id']],
    ['an impossible date', 'date', ['2026-02-30', 'id']],
    ['a numeric id', 'string', ['a', 1]],
    ['three values', 'string', ['a', 'id', 'x']],
  ] as const)('refuse %s', (_, kind, raw) => {
    expect(listKey(kind).decode(raw)).toBeNull();
  });
});
