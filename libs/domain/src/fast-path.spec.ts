import fc from 'fast-check';
import { ENTITY_SCHEMAS, type EntityType } from './entities';
import { fastParse } from './fast-path';
import { generateEventList } from './generator/generator';

/**
 * The fast path may say "not sure" as often as it likes, but it must never accept what
 * zod rejects, nor return anything other than what zod returns.
 */
describe('fastParse agrees with the zod schemas', () => {
  const samples = generateEventList({ seed: 12, tenants: 2, days: 4 })
    .map((m) => m.event)
    .filter((e): e is NonNullable<typeof e> => !!e && !e.type.endsWith('.deleted'))
    .map((e) => ({ entityType: e.type.split('.')[1] as EntityType, data: e.data as Record<string, unknown> }));

  function agree(entityType: EntityType, data: Record<string, unknown>): void {
    const fast = fastParse(entityType, data);
    if (fast === undefined) return;
    const zod = ENTITY_SCHEMAS[entityType].safeParse(data);
    if (!zod.success) throw new Error(`fast path accepted what zod rejects: ${entityType} ${JSON.stringify(data)}\n${zod.error.message}`);
    expect(fast).toEqual(zod.data);
  }

  it('accepts the generated events of every entity type without an email, with zod’s output', () => {
    const seen = new Set<string>();
    for (const { entityType, data } of samples) {
      agree(entityType, data);
      if (fastParse(entityType, data)) seen.add(entityType);
    }
    // Members always carry an email, and visitors often do: those go to zod.
    expect([...seen].sort()).toEqual(['building', 'desk', 'desk_booking', 'floor', 'room', 'room_booking', 'team', 'visit']);
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
