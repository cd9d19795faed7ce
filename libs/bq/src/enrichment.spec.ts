import { enrichmentStatement, staleEnrichmentQuery, type EnrichmentScope } from './enrichment';
import { checkStatement, tableRef } from './sql';
import type { Warehouse } from './client';

const warehouse = { table: (name: string) => tableRef('phoenix-local', 'phoenix', name) } as unknown as Warehouse;
const scope = (over: Partial<EnrichmentScope> = {}): EnrichmentScope => ({
  tenants: ['acme'],
  ids: [],
  desk: [],
  room: [],
  floor: [],
  building: [],
  member: [],
  team: [],
  ...over,
});

describe('enrichment statements', () => {
  it('checks the three tables in one query, with a parameter for every list given and none for empty ones', () => {
    const statement = staleEnrichmentQuery(warehouse, {
      desk_booking: scope({ ids: ['b1', 'b2'], floor: ['f1'] }),
      room_booking: scope({ floor: ['f1'] }),
      visit: scope({ ids: ['v1'] }),
    });
    checkStatement(statement);
    expect(statement.sql.text.match(/UNION ALL/g)).toHaveLength(2);
    expect(statement.params['desk_booking_ids']?.value).toBe('b1 b2');
    expect(statement.params['desk_booking_members']).toBeUndefined();
    expect(statement.params['visit_ids']?.value).toBe('v1');
  });

  it('stores the floor and building ids of the joined reference rows, so a missing one stays NULL', () => {
    const text = enrichmentStatement(warehouse, 'desk_booking', scope({ ids: ['b1'] })).sql.text;
    expect(text).toContain('f.id AS `floor_id`');
    expect(text).toContain('bl.id AS `building_id`');
    expect(text).toContain('tm.id AS `team_id`');
    expect(text).not.toContain('p.floor_id AS');
  });

  it('matches nothing when a scope names no row and no reference, rather than every row of the tenant', () => {
    const statement = enrichmentStatement(warehouse, 'visit', scope());
    checkStatement(statement);
    expect(statement.sql.text).toContain('AND (FALSE)');
  });

  it('refuses an id with a space, which the space-separated parameter cannot carry', () => {
    expect(() => enrichmentStatement(warehouse, 'visit', scope({ ids: ['a b'] }))).toThrow(/contains a space/);
  });

  it('refuses a check with no table in scope', () => {
    expect(() => staleEnrichmentQuery(warehouse, {})).toThrow(/no table in scope/);
  });
});
