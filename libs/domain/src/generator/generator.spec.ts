import { createHash } from 'node:crypto';
import { compareEventOrder, generateEventList, generateEvents, validateEvent, type DomainEvent, type GeneratedMessage } from '../index';

const digest = (messages: Iterable<GeneratedMessage>) => {
  const hash = createHash('sha256');
  for (const m of messages) hash.update(`${m.key}\n${m.value}\n${JSON.stringify(m.headers)}\n${m.kind}\n`);
  return hash.digest('hex');
};

const parsed = (messages: GeneratedMessage[]): DomainEvent[] =>
  messages
    .filter((m) => m.kind === 'event')
    .map((m) => {
      const result = validateEvent(m.value);
      if (!result.ok) throw new Error(m.value);
      return result.event;
    });

describe('generateEvents', () => {
  const faults = { duplicates: 0.05, reorder: 0.1, late: 0.03, malformed: 0.03 };

  it('is deterministic: the same seed gives a byte-identical stream', () => {
    expect(digest(generateEvents({ seed: 1, ...faults }))).toBe(digest(generateEvents({ seed: 1, ...faults })));
  });

  it('keeps producing the same stream across releases (golden digest; update only on purpose)', () => {
    // A change here means every stored benchmark and fixture changes too: bump it knowingly.
    expect(digest(generateEvents({ seed: 2026, tenants: 1, days: 3, ...faults, maxEventBytes: 4096 }))).toBe(
      'a1895578979f0ac8979142323ce02b8768fb57387afe22dd7ff4db5d183b3166',
    );
  });

  it('checks in before the booking ends', () => {
    for (const e of parsed(generateEventList({ seed: 5, tenants: 3, days: 10 }))) {
      if (e.action !== 'checked_in' || e.entityType === 'visit') continue;
      const booking = e.data as { endTime: string; checkedInAt: string };
      expect(Date.parse(booking.checkedInAt)).toBeLessThan(Date.parse(booking.endTime));
    }
  });

  it('gives a different stream for a different seed', () => {
    expect(digest(generateEvents({ seed: 1 }))).not.toBe(digest(generateEvents({ seed: 2 })));
  });

  it('scales with tenants and days', () => {
    const small = generateEventList({ seed: 3, tenants: 1, days: 5 });
    const large = generateEventList({ seed: 3, tenants: 3, days: 10 });
    expect(new Set(parsed(large).map((e) => e.tenantId)).size).toBe(3);
    expect(large.length).toBeGreaterThan(4 * small.length);
  });

  it('follows the working week: mid-week days are busier than Fridays, weekends are nearly empty', () => {
    const events = parsed(generateEventList({ seed: 4, days: 14 })).filter((e) => e.type === 'phoenix.desk_booking.created');
    const byWeekday = [0, 0, 0, 0, 0, 0, 0];
    for (const e of events) {
      const day = new Date(`${(e.data as { date: string }).date}T00:00:00Z`).getUTCDay();
      byWeekday[day] = (byWeekday[day] ?? 0) + 1;
    }
    const [sun, , tue, wed, , fri, sat] = byWeekday as [number, number, number, number, number, number, number];
    expect(wed).toBeGreaterThan(fri);
    expect(tue).toBeGreaterThan(fri);
    expect(sat + sun).toBeLessThan(fri / 2);
  });

  it('produces the whole booking lifecycle, including cancellations, no-shows and visitors', () => {
    const types = new Set(parsed(generateEventList({ seed: 5, days: 10 })).map((e) => e.type));
    for (const entity of ['desk_booking', 'room_booking']) {
      for (const action of ['created', 'checked_in', 'completed', 'cancelled', 'no_show'])
        expect(types).toContain(`phoenix.${entity}.${action}`);
    }
    expect(types).toContain('phoenix.visit.checked_in');
    expect(types).toContain('phoenix.member.updated');
  });

  it('gives each entity a sequence that agrees with event time', () => {
    const byEntity = new Map<string, DomainEvent[]>();
    for (const e of parsed(generateEventList({ seed: 6, days: 10 }))) {
      const key = `${e.tenantId}/${e.entityId}`;
      byEntity.set(key, [...(byEntity.get(key) ?? []), e]);
    }
    for (const versions of byEntity.values()) {
      const byTime = [...versions].sort(compareEventOrder).map((e) => e.seq);
      expect(byTime).toEqual(versions.map((_, i) => i));
    }
  });

  it('is clean by default: no duplicates, late or malformed messages, delivered in event-time order', () => {
    const messages = generateEventList({ seed: 8 });
    expect(messages.every((m) => m.kind === 'event' && !m.late)).toBe(true);
    const times = parsed(messages).map((e) => e.timeMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('injects the delivery faults it is asked for, and labels them', () => {
    const messages = generateEventList({ seed: 9, days: 10, ...faults });
    const events = messages.filter((m) => m.kind === 'event');
    const duplicates = messages.filter((m) => m.kind === 'duplicate');
    const malformed = messages.filter((m) => m.kind === 'malformed');
    const late = events.filter((m) => m.late);
    expect(duplicates.length / events.length).toBeGreaterThan(0.03);
    expect(duplicates.every((d) => events.some((e) => e.value === d.value))).toBe(true);
    expect(late.length / events.length).toBeGreaterThan(0.015);
    // Late and reordered events arrive after events that happened later.
    const times = parsed(messages).map((e) => e.timeMs);
    expect(times).not.toEqual([...times].sort((a, b) => a - b));
    expect(malformed.length / events.length).toBeGreaterThan(0.015);
    // Arrival order is the order of the stream.
    const arrivals = messages.map((m) => m.arrivalMs);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
  });

  it('labels each malformed message with the problem validation reports', () => {
    const malformed = generateEventList({ seed: 10, days: 10, malformed: 0.2, maxEventBytes: 4096 }).filter((m) => m.kind === 'malformed');
    const seen = new Set<string>();
    for (const message of malformed) {
      const result = validateEvent(message.value, { maxBytes: 4096 });
      expect(result.ok).toBe(false);
      const expected = message.expectedProblem;
      expect(!result.ok && result.problems.map((p) => `${p.code} ${p.path}`)).toContain(`${expected?.code} ${expected?.path}`);
      seen.add(expected?.code ?? '');
    }
    expect([...seen].sort()).toEqual([
      'INVALID_FIELD',
      'MALFORMED_JSON',
      'MISSING_FIELD',
      'MISSING_TENANT',
      'PAYLOAD_TOO_LARGE',
      'UNKNOWN_EVENT_TYPE',
    ]);
  });

  it('carries a W3C traceparent header and keys messages by tenant and entity', () => {
    const [first] = generateEventList({ seed: 11, days: 1 });
    expect(first?.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(first?.key).toBe(`${first?.event?.tenantid}/${first?.event?.entityid}`);
  });

  it('rejects a start date it cannot read', () => {
    expect(() => generateEventList({ seed: 1, startDate: '05/01/2026' })).toThrow(/startDate must be YYYY-MM-DD/);
  });
});
