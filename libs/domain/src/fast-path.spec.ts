import fc from 'fast-check';
import { ENTITY_SCHEMAS, type EntityType } from './entities';
import { fastParse } from './fast-path';
import { ENTITY_SAMPLES } from './samples';

/**
 * The fast path may say "not sure" as often as it likes, but it must never accept what
 * zod rejects, nor return anything other than what zod returns.
 */
describe('fastParse agrees with the zod schemas', () => {
  const samples = (Object.entries(ENTITY_SAMPLES) as [EntityType, readonly Record<string, unknown>[]][]).flatMap(([entityType, states]) =>
    states.map((data) => ({ entityType, data })),
  );

  function agree(entityType: EntityType, data: Record<string, unknown>): void {
    // Also as the validator calls it on JSON it parsed itself (`owned`): `data` may then come back as it is.
    const owned = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
    for (const [input, fast] of [
      [data, fastParse(entityType, data)],
      [owned, fastParse(entityType, owned, true)],
    ] as const) {
      if (fast === undefined) continue;
      const zod = ENTITY_SCHEMAS[entityType].safeParse(input);
      if (!zod.success)
        throw new Error(`fast path accepted what zod rejects: ${entityType} ${JSON.stringify(input)}\n${zod.error.message}`);
      expect(fast).toEqual(zod.data);
      // toEqual passes an extra key whose value is undefined: check the keys with values too.
      const defined = (o: object) => Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [k]));
      expect(defined(fast).sort()).toEqual(defined(zod.data).sort());
    }
  }

  it('accepts the generated events of every entity type, with zod’s output', () => {
    const seen = new Set<string>();
    for (const { entityType, data } of samples) {
      agree(entityType, data);
      if (fastParse(entityType, data)) seen.add(entityType);
    }
    expect([...seen].sort()).toEqual(['building', 'desk', 'desk_booking', 'floor', 'member', 'room', 'room_booking', 'team', 'visit']);
  });

  it('keeps parsed data as it is only when it owns it and it has no other keys', () => {
    const desk = samples.find((s) => s.entityType === 'desk') as (typeof samples)[number];
    const owned = JSON.parse(JSON.stringify(desk.data)) as Record<string, unknown>;
    expect(fastParse('desk', owned, true)).toBe(owned);
    expect(fastParse('desk', owned)).not.toBe(owned);
    const extra = { ...owned, note: 'not in the schema' };
    expect(fastParse('desk', extra, true)).toEqual(desk.data);
    expect(fastParse('desk', extra, true)).not.toHaveProperty('note');
  });

  it('accepts an email only when zod does', () => {
    const member = samples.find((s) => s.entityType === 'member') as (typeof samples)[number];
    const emails = fc.oneof(
      fc.emailAddress(),
      fc.string(),
      fc.constantFrom(
        'a@b.example',
        'a..b@x.io',
        '.a@x.io',
        'a.@x.io',
        'a@x',
        'a@-x.io',
        "o'brien@x.io",
        'A@B.CO',
        'a@b.c',
        'a@b.example.',
      ),
    );
    fc.assert(
      fc.property(emails, (email) => agree('member', { ...member.data, email })),
      { numRuns: 3000, seed: 2026 },
    );
  });

  it('never accepts a mutated entity that zod rejects', () => {
    const odd = fc.oneof(
      fc.constantFrom(
        '',
        ' ',
        'x'.repeat(65),
        'x'.repeat(201),
        'x'.repeat(501),
        'not an id!',
        'ok-id_1',
        'EU',
        'Europe/Berlin',
        'Mars/Base',
      ),
      fc.constantFrom(
        '2026-02-30T00:00:00Z',
        '2026-01-05T09:00:00Z',
        '2026-01-05',
        '2026-13-05',
        'booked',
        'checked_in',
        'lost',
        'admin',
        'a@b.example',
        'a..b@x.io',
        "o'brien@x.io",
        'a@x',
      ),
      fc.constantFrom(-21, -1, 0, 1, 1.5, 301, 10_001, 2 ** 60, Number.NaN, true, false, null, [], [''], ['monitor'], {}),
      fc.anything(),
    );
    // Pick the entity type first, so rare types (floors, buildings) are mutated as often as bookings.
    const byType = new Map<EntityType, (typeof samples)[number][]>();
    for (const sample of samples) byType.set(sample.entityType, [...(byType.get(sample.entityType) ?? []), sample]);
    const types = [...byType.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.nat(),
        fc.array(fc.tuple(fc.nat(12), odd, fc.boolean()), { minLength: 1, maxLength: 3 }),
        (type, n, edits) => {
          const pool = byType.get(type) as (typeof samples)[number][];
          const { entityType, data } = pool[n % pool.length] as (typeof samples)[number];
          const mutated: Record<string, unknown> = structuredClone(data);
          const keys = Object.keys(mutated);
          for (const [k, value, remove] of edits) {
            const key = keys[k % keys.length] as string;
            if (remove) delete mutated[key];
            else mutated[key] = value;
          }
          agree(entityType, mutated);
        },
      ),
      { numRuns: 6000, seed: 2026 },
    );
  });
});
