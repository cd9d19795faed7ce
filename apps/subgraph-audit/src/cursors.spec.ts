import { changeCursor, deadLetterCursor, versionCursor } from './cursors';

// What a client can put in a cursor is any JSON array: each key is checked here, once, and
// goes to the statement builders typed.
describe('audit cursor keys', () => {
  const t = '2026-01-01T00:00:00.000Z';

  it('round-trip the keys the lists write', () => {
    for (const key of [
      { validFrom: t, seq: null, eventId: 'e1' },
      { validFrom: t, seq: 0, eventId: 'e1' },
    ]) {
      expect(versionCursor.decode(versionCursor.encode(key))).toEqual(key);
    }
    const change = { recordedAt: t, entityType: 'desk_booking' as const, id: 'db_1', eventId: 'e1' };
    expect(changeCursor.decode(changeCursor.encode(change))).toEqual(change);
    const deadLetter = { receivedAt: t, deadLetterId: 'dl_1' };
    expect(deadLetterCursor.decode(deadLetterCursor.encode(deadLetter))).toEqual(deadLetter);
  });

  it.each([
    ['a bad time', ['yesterday', null, 'e']],
    ['a date without time', ['2026-01-01', null, 'e']],
    ['a negative seq', [t, -1, 'e']],
    ['a fractional seq', [t, 1.5, 'e']],
    ['a seq as a string', [t, '1', 'e']],
    ['no event id', [t, 1, '']],
    ['too few values', [t, 1]],
    ['too many values', [t, 1, 'e', 'x']],
  ])('refuse a history cursor with %s', (_, raw) => {
    expect(versionCursor.decode(raw)).toBeNull();
  });

  it.each([
    ['an unknown entity type', [t, 'payroll', 'a', 'e']],
    ['a table name as entity type', [t, 'desk_current; DROP', 'a', 'e']],
    ['an empty time', ['', 'desk', 'a', 'e']],
    ['a numeric id', [t, 'desk', 1, 'e']],
    ['too few values', [t, 'desk', 'a']],
  ])('refuse a change cursor with %s', (_, raw) => {
    expect(changeCursor.decode(raw)).toBeNull();
  });

  it.each([
    ['a bad time', ['later', 'dl']],
    ['no id', [t, '']],
    ['too many values', [t, 'dl', 'x']],
  ])('refuse a dead-letter cursor with %s', (_, raw) => {
    expect(deadLetterCursor.decode(raw)).toBeNull();
  });
});
