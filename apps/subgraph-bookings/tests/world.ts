import { createCloudEvent, validateEvent, type DomainEvent, type EntityStateByType, type EntityType } from '@phoenix/domain';

/**
 * A small workplace for the acme tenant (and a decoy tenant, globex, with colliding ids):
 * 2 buildings, 4 floors, 20 desks, 4 rooms, 5 teams, 30 members, 60 desk bookings over
 * five days, 6 room bookings and 4 visits, as validated events.
 */
let counter = 0;
export function event<K extends EntityType>(
  entityType: K,
  data: EntityStateByType[K] | { id: string },
  options: { tenantId?: string; action?: 'created' | 'updated' | 'deleted'; time?: string } = {},
): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id: `evt-${Date.now()}-${++counter}`,
      tenantId: options.tenantId ?? 'acme',
      entityType,
      action: options.action ?? 'created',
      time: options.time ?? '2026-01-01T00:00:00Z',
      data: data as never,
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

export const DAYS = ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'];

export function deskBookingEvent(id: string, deskId: string, memberId: string, date: string, tenantId = 'acme', hour = 8): DomainEvent {
  const h = String(hour).padStart(2, '0');
  return event(
    'desk_booking',
    { id, deskId, memberId, date, startTime: `${date}T${h}:00:00Z`, endTime: `${date}T17:00:00Z`, status: 'booked' },
    { tenantId },
  );
}

export function world(): DomainEvent[] {
  const events: DomainEvent[] = [
    event('building', { id: 'b1', name: 'Berlin HQ', city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' }),
    event('building', { id: 'b2', name: 'Lisbon', city: 'Lisbon', countryCode: 'PT', timezone: 'Europe/Lisbon' }),
  ];
  for (let f = 1; f <= 4; f++) events.push(event('floor', { id: `f${f}`, buildingId: f <= 2 ? 'b1' : 'b2', name: `Floor ${f}`, level: f }));
  for (let d = 1; d <= 20; d++) {
    events.push(
      event('desk', {
        id: `d${d}`,
        floorId: `f${((d - 1) % 4) + 1}`,
        label: `D${String(d).padStart(2, '0')}`,
        features: [],
        bookable: true,
      }),
    );
  }
  for (let r = 1; r <= 4; r++) {
    events.push(
      event('room', { id: `r${r}`, floorId: `f${r}`, name: `Room ${r}`, capacity: 2 + r * 2, features: ['video'], bookable: true }),
    );
  }
  for (let t = 1; t <= 5; t++) events.push(event('team', { id: `t${t}`, name: `Team ${t}` }));
  for (let m = 1; m <= 30; m++) {
    events.push(
      event('member', {
        id: `m${m}`,
        teamId: `t${((m - 1) % 5) + 1}`,
        email: `member${m}@example.com`,
        displayName: `Member ${m}`,
        role: 'employee',
        active: true,
      }),
    );
  }
  for (let i = 1; i <= 60; i++) {
    events.push(
      deskBookingEvent(`db${String(i).padStart(3, '0')}`, `d${((i - 1) % 20) + 1}`, `m${((i - 1) % 30) + 1}`, DAYS[(i - 1) % 5] as string),
    );
  }
  for (let i = 1; i <= 6; i++) {
    events.push(
      event('room_booking', {
        id: `rb${i}`,
        roomId: `r${((i - 1) % 4) + 1}`,
        organizerId: `m${i}`,
        title: `Meeting ${i}`,
        startTime: `2026-01-05T${String(8 + i).padStart(2, '0')}:00:00Z`,
        endTime: `2026-01-05T${String(9 + i).padStart(2, '0')}:00:00Z`,
        attendeeCount: 2,
        status: 'booked',
      }),
    );
  }
  for (let v = 1; v <= 4; v++) {
    events.push(
      event('visit', {
        id: `v${v}`,
        hostId: `m${v}`,
        buildingId: v <= 2 ? 'b1' : 'b2',
        visitorName: `Visitor ${v}`,
        visitorEmail: `visitor${v}@example.org`,
        expectedAt: `2026-01-0${4 + v}T09:00:00Z`,
        status: 'booked',
      }),
    );
  }
  // The decoy tenant reuses ids: a leak across tenants would show up as wrong names.
  events.push(
    event(
      'building',
      { id: 'b1', name: 'Globex Tower', city: 'Springfield', countryCode: 'US', timezone: 'America/Chicago' },
      { tenantId: 'globex' },
    ),
  );
  events.push(deskBookingEvent('gdb1', 'd1', 'm1', '2026-01-05', 'globex'));
  return events;
}
