import { WriteError } from './errors';
import { checkCheckInWindow, checkSlot, checkTransition, localDate, stateOfRow } from './rules';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof WriteError ? err.code : String(err);
  }
  return 'ok';
};

describe('command rules', () => {
  const now = Date.parse('2026-03-10T09:00:00Z');
  const base = { timeZone: 'Europe/Berlin', nowMs: now, pastToleranceMs: 15 * 60_000, sameDay: true };

  it('derives the booking day in the building’s time zone, not in UTC', () => {
    expect(localDate(Date.parse('2026-03-10T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-11');
    expect(localDate(Date.parse('2026-03-10T23:30:00Z'), 'UTC')).toBe('2026-03-10');
    expect(checkSlot({ ...base, startTime: '2026-03-10T23:30:00Z', endTime: '2026-03-10T22:45:00.000-01:00' })).toEqual({
      startMs: Date.parse('2026-03-10T23:30:00Z'),
      endMs: Date.parse('2026-03-10T23:45:00Z'),
      date: '2026-03-11',
    });
  });

  it('refuses a slot that ends before it starts, starts too far in the past, spans two local days, or names another day', () => {
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T10:00:00Z', endTime: '2026-03-10T10:00:00Z' }))).toBe('INVALID_SLOT');
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T08:44:59Z', endTime: '2026-03-10T10:00:00Z' }))).toBe('INVALID_SLOT');
    // Within the tolerance: a booking made a few minutes late.
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T08:45:00Z', endTime: '2026-03-10T10:00:00Z' }))).toBe('ok');
    // 22:00 UTC is 23:00 in Berlin; 23:30 UTC is already the next day there.
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T22:00:00Z', endTime: '2026-03-10T23:30:00Z' }))).toBe('INVALID_SLOT');
    // Ending exactly at local midnight stays on the day.
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T22:00:00Z', endTime: '2026-03-10T23:00:00Z' }))).toBe('ok');
    expect(codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T22:00:00Z', endTime: '2026-03-11T01:00:00Z', sameDay: false }))).toBe(
      'ok',
    );
    expect(
      codeOf(() => checkSlot({ ...base, startTime: '2026-03-10T10:00:00Z', endTime: '2026-03-10T11:00:00Z', date: '2026-03-11' })),
    ).toBe('INVALID_SLOT');
    expect(codeOf(() => checkSlot({ ...base, startTime: 'soon', endTime: '2026-03-10T11:00:00Z' }))).toBe('INVALID_SLOT');
  });

  it('allows only the lifecycle’s legal transitions', () => {
    expect(codeOf(() => checkTransition('cancel', 'b', 'booked'))).toBe('ok');
    expect(codeOf(() => checkTransition('cancel', 'b', 'checked_in'))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => checkTransition('checkIn', 'b', 'cancelled'))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => checkTransition('signOut', 'v', 'booked'))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => checkTransition('signOut', 'v', 'checked_in'))).toBe('ok');
  });

  it('opens check-in 30 minutes before the start and closes it at the end', () => {
    const early = 30 * 60_000;
    expect(codeOf(() => checkCheckInWindow('b', '2026-03-10T09:31:00Z', '2026-03-10T11:00:00Z', now, early))).toBe('INVALID_TRANSITION');
    expect(codeOf(() => checkCheckInWindow('b', '2026-03-10T09:30:00Z', '2026-03-10T11:00:00Z', now, early))).toBe('ok');
    expect(codeOf(() => checkCheckInWindow('b', '2026-03-10T08:00:00Z', '2026-03-10T09:00:00Z', now, early))).toBe('INVALID_TRANSITION');
  });

  it('maps a current-table row back to the complete state an event carries', () => {
    const row = {
      tenant_id: 'acme',
      id: 'v1',
      host_id: 'm1',
      building_id: 'b1',
      visitor_name: 'Vera',
      visitor_email: null,
      expected_at: '2026-03-10T09:00:00.000Z',
      status: 'booked',
      building_name: 'HQ',
    };
    expect(stateOfRow('visit', row)).toEqual({
      id: 'v1',
      hostId: 'm1',
      buildingId: 'b1',
      visitorName: 'Vera',
      visitorEmail: null,
      visitorCompany: null,
      expectedAt: '2026-03-10T09:00:00.000Z',
      status: 'booked',
      arrivedAt: null,
      departedAt: null,
    });
  });
});
