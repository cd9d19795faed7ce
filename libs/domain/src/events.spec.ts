import { compareEventOrder, ENTITY_TYPES, EVENT_TYPES, eventTypeName, LIFECYCLE_ENTITY_TYPES } from './index';

describe('event vocabulary', () => {
  it('has create/update/delete for every entity type and the booking lifecycle for bookings and visits', () => {
    for (const entity of ENTITY_TYPES) {
      for (const action of ['created', 'updated', 'deleted'])
        expect(EVENT_TYPES.has(eventTypeName(entity, action as 'created'))).toBe(true);
      for (const action of ['checked_in', 'cancelled', 'no_show', 'completed']) {
        expect(EVENT_TYPES.has(eventTypeName(entity, action as 'checked_in'))).toBe(LIFECYCLE_ENTITY_TYPES.has(entity));
      }
    }
    expect(EVENT_TYPES.size).toBe(6 * 3 + 3 * 7);
  });
});

describe('compareEventOrder', () => {
  const v = (timeMs: number, seq: number | null, id: string) => ({ timeMs, seq, id });

  it('orders by event time first, then sequence, then event id', () => {
    const ordered = [v(1, 5, 'z'), v(2, null, 'a'), v(2, 0, 'a'), v(2, 1, 'a'), v(2, 1, 'b'), v(3, 0, 'a')];
    const shuffled = [ordered[3], ordered[0], ordered[5], ordered[2], ordered[4], ordered[1]] as typeof ordered;
    expect(shuffled.sort(compareEventOrder)).toEqual(ordered);
  });

  it('treats the same version as equal', () => {
    expect(compareEventOrder(v(1, 1, 'a'), v(1, 1, 'a'))).toBe(0);
  });
});
