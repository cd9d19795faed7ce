import { ENTITY_TYPES, type EntityType } from '@phoenix/domain';
import type { Warehouse } from '../client';
import { checkStatement, tableRef, type Statement } from '../sql';
import {
  asOfQuery,
  AUDIT_MAX_PAGE_SIZE,
  changeKeyOf,
  changesQuery,
  currentVersionQuery,
  deadLetterKeyOf,
  deadLettersQuery,
  entityHistoryQuery,
  eventDeadLettersQuery,
  eventTraceQuery,
  versionKeyOf,
  type ChangesArgs,
  type DeadLettersArgs,
  type EntityHistoryArgs,
} from './history';

// Statement builders only need table references; no client, no network.
const warehouse = { table: (name: string) => tableRef('phoenix-local', 'phoenix', name) } as unknown as Warehouse;

const text = (s: Statement) => s.sql.text.replace(/\s+/g, ' ');
const names = (s: Statement) => Object.keys(s.params).sort();

const history = (overrides: Partial<EntityHistoryArgs> = {}): EntityHistoryArgs => ({
  tenantId: 'acme',
  ids: ['dsk_1', 'dsk_2'],
  knownAt: null,
  first: 10,
  after: null,
  ...overrides,
});
const changes = (overrides: Partial<ChangesArgs> = {}): ChangesArgs => ({
  tenantId: 'acme',
  entityTypes: ['desk', 'room'],
  since: new Date('2026-01-01T00:00:00Z'),
  until: new Date('2026-01-02T00:00:00Z'),
  after: null,
  limit: 50,
  ...overrides,
});
const deadLetters = (overrides: Partial<DeadLettersArgs> = {}): DeadLettersArgs => ({
  tenantId: 'acme',
  reasonCodes: null,
  from: null,
  to: null,
  after: null,
  limit: 50,
  ...overrides,
});

/** Every statement of this module, with valid arguments, for the properties they all share. */
const everyStatement = (): [string, Statement][] => [
  ['entityHistoryQuery', entityHistoryQuery(warehouse, 'desk', history())],
  [
    'entityHistoryQuery (knownAt, after)',
    entityHistoryQuery(
      warehouse,
      'desk',
      history({ knownAt: new Date(), after: { validFrom: '2026-01-01T00:00:00.000Z', seq: null, eventId: 'e1' } }),
    ),
  ],
  ['asOfQuery', asOfQuery(warehouse, 'desk', { tenantId: 'acme', ids: ['dsk_1'], validAt: new Date(), knownAt: new Date() })],
  ['changesQuery', changesQuery(warehouse, changes())],
  [
    'changesQuery (after)',
    changesQuery(warehouse, changes({ after: { recordedAt: '2026-01-01T10:00:00.000Z', entityType: 'desk', id: 'dsk_1', eventId: 'e1' } })),
  ],
  ['eventTraceQuery', eventTraceQuery(warehouse, { tenantId: 'acme', eventIds: ['e1'] })],
  ['eventDeadLettersQuery', eventDeadLettersQuery(warehouse, { tenantId: 'acme', eventIds: ['e1'] })],
  ['currentVersionQuery', currentVersionQuery(warehouse, 'desk', { tenantId: 'acme', ids: ['dsk_1'] })],
  ['deadLettersQuery', deadLettersQuery(warehouse, deadLetters())],
];

describe('audit read statements: shared properties', () => {
  it.each(everyStatement())('%s names exactly the parameters it passes and filters by tenant', (_, statement) => {
    expect(() => checkStatement(statement)).not.toThrow();
    expect(statement.sql.text).toContain('tenant_id = @tenant');
    expect(statement.params['tenant']).toEqual({ type: 'STRING', value: 'acme' });
  });

  it.each(everyStatement())('%s carries no value in its text', (_, statement) => {
    // The only quoted strings allowed are the fixed entity-type literals of the change feed.
    const literals = statement.sql.text.match(/'[^']*'/g) ?? [];
    expect(literals.filter((l) => !ENTITY_TYPES.includes(l.slice(1, -1) as EntityType))).toEqual([]);
    expect(statement.sql.text).not.toMatch(/acme|dsk_1|2026-/);
  });
});

describe('entityHistoryQuery', () => {
  it('reads the batch from the history table, computes valid_to over the slice and limits each id to first + 1 rows', () => {
    const s = entityHistoryQuery(warehouse, 'desk', history({ first: 2 }));
    expect(text(s)).toContain('FROM `phoenix-local.phoenix.desk_history`');
    expect(text(s)).toContain('id IN UNNEST(@ids)');
    expect(text(s)).toContain('LEAD(valid_from) OVER (PARTITION BY id ORDER BY valid_from, IFNULL(seq, -1), event_id) AS valid_to');
    expect(text(s)).toContain('QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY valid_from, IFNULL(seq, -1), event_id) <= @perId');
    expect(text(s)).toMatch(/ORDER BY id, valid_from, IFNULL\(seq, -1\), event_id$/);
    expect(s.params['perId']).toEqual({ type: 'INT64', value: 3 });
    expect(s.params['ids']).toEqual({ type: ['STRING'], value: ['dsk_1', 'dsk_2'] });
    // knownAt null = no system-time filter at all.
    expect(text(s)).not.toContain('recorded_at <=');
    expect(names(s)).toEqual(['ids', 'perId', 'tenant']);
  });

  it('applies the cursor outside the slice, so valid_to still sees the version before the cursor', () => {
    const s = entityHistoryQuery(
      warehouse,
      'room_booking',
      history({ knownAt: new Date('2026-03-01T00:00:00Z'), after: { validFrom: '2026-01-02T03:04:05.006Z', seq: null, eventId: 'e9' } }),
    );
    const [slice, outer] = text(s).split('SELECT * FROM known') as [string, string];
    expect(slice).toContain('AND recorded_at <= @knownAt');
    expect(slice).not.toContain('@after');
    expect(outer).toContain('valid_from > @afterValidFrom');
    expect(s.params).toMatchObject({
      knownAt: { type: 'TIMESTAMP', value: '2026-03-01T00:00:00.000Z' },
      afterValidFrom: { type: 'TIMESTAMP', value: '2026-01-02T03:04:05.006Z' },
      // A NULL seq sorts as -1, the same as in the ORDER BY.
      afterSeq: { type: 'INT64', value: -1 },
      afterEventId: { type: 'STRING', value: 'e9' },
    });
    expect(text(s)).toContain('`phoenix-local.phoenix.room_booking_history`');
  });

  it('selects every declared history column, and nothing of the current table', () => {
    const s = entityHistoryQuery(warehouse, 'visit', history());
    for (const column of ['tenant_id', 'id', 'deleted', 'event_id', 'event_type', 'seq', 'valid_from', 'recorded_at', 'visitor_name']) {
      expect(s.sql.text).toContain(`\`${column}\``);
    }
    expect(s.sql.text).not.toContain('`enriched`');
  });

  it('de-duplicates ids', () => {
    expect(entityHistoryQuery(warehouse, 'desk', history({ ids: ['a', 'b', 'a'] })).params['ids']?.value).toEqual(['a', 'b']);
  });

  it.each([
    ['an empty id list', { ids: [] }, /ids must be a non-empty array/],
    ['an empty id', { ids: ['a', ''] }, /ids must contain only non-empty strings/],
    ['first = 0', { first: 0 }, /first must be an integer from 1 to 1000/],
    ['first = 1001', { first: AUDIT_MAX_PAGE_SIZE + 1 }, /first must be an integer from 1 to 1000/],
    ['a fractional first', { first: 2.5 }, /first must be an integer/],
    ['an invalid knownAt', { knownAt: new Date('nope') }, /knownAt must be a valid Date/],
    ['a knownAt string', { knownAt: '2026-01-01' as unknown as Date }, /knownAt must be a valid Date/],
    ['an empty tenant', { tenantId: '' }, /tenantId must be a non-empty string/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => entityHistoryQuery(warehouse, 'desk', history(overrides as Partial<EntityHistoryArgs>))).toThrow(TypeError);
    expect(() => entityHistoryQuery(warehouse, 'desk', history(overrides as Partial<EntityHistoryArgs>))).toThrow(message);
  });

  it('refuses an entity type outside the domain list (it would name a table)', () => {
    expect(() => entityHistoryQuery(warehouse, 'desk_current; DROP' as EntityType, history())).toThrow(/not an entity type/);
    expect(() => currentVersionQuery(warehouse, 'events_raw' as EntityType, { tenantId: 'acme', ids: ['x'] })).toThrow(
      /not an entity type/,
    );
  });
});

describe('asOfQuery', () => {
  it('picks the newest version per id with valid_from <= @validAt within the slice recorded by @knownAt', () => {
    const s = asOfQuery(warehouse, 'desk', {
      tenantId: 'acme',
      ids: ['dsk_1'],
      validAt: new Date('2026-01-05T00:00:00Z'),
      knownAt: new Date('2026-02-01T00:00:00Z'),
    });
    expect(text(s)).toContain('AND recorded_at <= @knownAt');
    expect(text(s)).toContain('WHERE valid_from <= @validAt');
    expect(text(s)).toContain(
      'QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY valid_from DESC, IFNULL(seq, -1) DESC, event_id DESC) = 1',
    );
    // Tombstones are answers too ("did not exist"), so nothing filters on deleted.
    expect(text(s)).not.toMatch(/deleted\s*=|NOT deleted/);
    expect(s.params).toMatchObject({
      validAt: { type: 'TIMESTAMP', value: '2026-01-05T00:00:00.000Z' },
      knownAt: { type: 'TIMESTAMP', value: '2026-02-01T00:00:00.000Z' },
    });
    expect(names(s)).toEqual(['ids', 'knownAt', 'tenant', 'validAt']);
  });

  it('needs both times', () => {
    const args = { tenantId: 'acme', ids: ['dsk_1'], validAt: new Date(), knownAt: new Date() };
    expect(() => asOfQuery(warehouse, 'desk', { ...args, knownAt: null as unknown as Date })).toThrow(/knownAt must be a valid Date/);
    expect(() => asOfQuery(warehouse, 'desk', { ...args, validAt: new Date(NaN) })).toThrow(/validAt must be a valid Date/);
    expect(() => asOfQuery(warehouse, 'desk', { ...args, ids: [] })).toThrow(/ids must be a non-empty array/);
  });
});

describe('changesQuery', () => {
  it('unions one branch per entity type, each labelled with a fixed literal and bounded by (since, until]', () => {
    const s = changesQuery(warehouse, changes({ entityTypes: ['desk', 'room', 'desk'] }));
    const t = text(s);
    expect(t.match(/UNION ALL/g)).toHaveLength(1);
    expect(t).toContain("SELECT 'desk' AS entity_type, id, event_id, event_type, deleted, seq, valid_from, recorded_at");
    expect(t).toContain('FROM `phoenix-local.phoenix.desk_history`');
    expect(t).toContain("SELECT 'room' AS entity_type");
    expect(t.match(/tenant_id = @tenant AND recorded_at > @since AND recorded_at <= @until/g)).toHaveLength(2);
    expect(t).toMatch(/ORDER BY recorded_at, entity_type, id, event_id LIMIT @maxRows$/);
    expect(s.params['maxRows']).toEqual({ type: 'INT64', value: 50 });
    expect(names(s)).toEqual(['maxRows', 'since', 'tenant', 'until']);
  });

  it('continues strictly after the cursor in the feed order', () => {
    const s = changesQuery(
      warehouse,
      changes({ after: { recordedAt: '2026-01-01T10:00:00.000Z', entityType: 'room', id: 'r1', eventId: 'e5' } }),
    );
    expect(text(s)).toContain('recorded_at >= @afterRecordedAt');
    expect(text(s)).toContain(
      'OR (recorded_at = @afterRecordedAt AND entity_type = @afterEntityType AND id = @afterId AND event_id > @afterEventId)',
    );
    expect(s.params).toMatchObject({
      afterRecordedAt: { type: 'TIMESTAMP', value: '2026-01-01T10:00:00.000Z' },
      afterEntityType: { type: 'STRING', value: 'room' },
      afterId: { type: 'STRING', value: 'r1' },
      afterEventId: { type: 'STRING', value: 'e5' },
    });
  });

  it.each([
    ['no entity types', { entityTypes: [] }, /entityTypes must be a non-empty array/],
    ['an unknown entity type', { entityTypes: ['desk', 'payroll' as EntityType] }, /not an entity type: "payroll"/],
    ['since after until', { since: new Date('2026-02-01T00:00:00Z') }, /since must not be after until/],
    ['limit 0', { limit: 0 }, /limit must be an integer from 1 to 1000/],
    ['limit 1001', { limit: 1001 }, /limit must be an integer from 1 to 1000/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => changesQuery(warehouse, changes(overrides as Partial<ChangesArgs>))).toThrow(message);
  });
});

describe('event trace, dead letters of events, current versions', () => {
  it('reads events_raw without the payload', () => {
    const s = eventTraceQuery(warehouse, { tenantId: 'acme', eventIds: ['e1', 'e2'] });
    expect(text(s)).toContain('FROM `phoenix-local.phoenix.events_raw` WHERE tenant_id = @tenant AND event_id IN UNNEST(@eventIds)');
    expect(s.sql.text).toContain('`trace_id`');
    expect(s.sql.text).not.toContain('payload');
    expect(s.params['eventIds']).toEqual({ type: ['STRING'], value: ['e1', 'e2'] });
  });

  it('reads the dead letters of events without their bytes', () => {
    const s = eventDeadLettersQuery(warehouse, { tenantId: 'acme', eventIds: ['e1'] });
    expect(text(s)).toContain('FROM `phoenix-local.phoenix.dead_letters` WHERE tenant_id = @tenant AND event_id IN UNNEST(@eventIds)');
    expect(s.sql.text).toContain('`reason_code`');
    expect(s.sql.text).not.toContain('payload');
  });

  it('reads the version key of current rows, tenant-scoped', () => {
    const s = currentVersionQuery(warehouse, 'member', { tenantId: 'acme', ids: ['m1'] });
    expect(text(s)).toBe(
      'SELECT tenant_id, id, event_id, valid_from, seq, deleted FROM `phoenix-local.phoenix.member_current` WHERE tenant_id = @tenant AND id IN UNNEST(@ids) ORDER BY id',
    );
  });

  it('refuses empty lists and a missing tenant', () => {
    expect(() => eventTraceQuery(warehouse, { tenantId: 'acme', eventIds: [] })).toThrow(/eventIds must be a non-empty array/);
    expect(() => eventDeadLettersQuery(warehouse, { tenantId: null as unknown as string, eventIds: ['e'] })).toThrow(/tenantId/);
    expect(() => currentVersionQuery(warehouse, 'desk', { tenantId: 'acme', ids: [] })).toThrow(/ids must be a non-empty array/);
  });
});

describe('deadLettersQuery', () => {
  it('lists a tenant newest first with the bytes, filters only what is given', () => {
    const s = deadLettersQuery(warehouse, deadLetters());
    expect(text(s)).toContain('`payload`');
    expect(text(s)).toContain('WHERE tenant_id = @tenant ORDER BY received_at DESC, dead_letter_id DESC LIMIT @maxRows');
    expect(names(s)).toEqual(['maxRows', 'tenant']);
  });

  it('lists the dead letters without a tenant separately, never mixed with a tenant', () => {
    const s = deadLettersQuery(warehouse, deadLetters({ tenantId: null }));
    expect(text(s)).toContain('WHERE tenant_id IS NULL ORDER BY');
    expect(names(s)).toEqual(['maxRows']);
  });

  it('filters by reason codes, a half-open time range and the cursor', () => {
    const s = deadLettersQuery(
      warehouse,
      deadLetters({
        reasonCodes: ['MALFORMED_JSON', 'MISSING_TENANT'],
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-01-02T00:00:00Z'),
        after: { receivedAt: '2026-01-01T12:00:00.000Z', deadLetterId: 'phoenix.events/0/12' },
        limit: 20,
      }),
    );
    expect(text(s)).toContain(
      'AND reason_code IN UNNEST(@reasonCodes) AND received_at >= @receivedFrom AND received_at < @receivedTo AND (received_at < @afterReceivedAt OR (received_at = @afterReceivedAt AND dead_letter_id < @afterDeadLetterId))',
    );
    expect(s.params).toMatchObject({
      reasonCodes: { type: ['STRING'], value: ['MALFORMED_JSON', 'MISSING_TENANT'] },
      receivedFrom: { type: 'TIMESTAMP', value: '2026-01-01T00:00:00.000Z' },
      receivedTo: { type: 'TIMESTAMP', value: '2026-01-02T00:00:00.000Z' },
      afterReceivedAt: { type: 'TIMESTAMP', value: '2026-01-01T12:00:00.000Z' },
      afterDeadLetterId: { type: 'STRING', value: 'phoenix.events/0/12' },
      maxRows: { type: 'INT64', value: 20 },
    });
    expect(() => checkStatement(s)).not.toThrow();
  });

  it.each([
    ['an empty reason list (null means any)', { reasonCodes: [] }, /reasonCodes must be a non-empty array/],
    ['from after to', { from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-01-01T00:00:00Z') }, /from must not be after to/],
    ['a fractional limit', { limit: 1.5 }, /limit must be an integer/],
    ['an empty tenant (use null for unknown)', { tenantId: '' }, /tenantId must be a non-empty string/],
  ])('refuses %s', (_, overrides, message) => {
    expect(() => deadLettersQuery(warehouse, deadLetters(overrides as Partial<DeadLettersArgs>))).toThrow(message);
  });
});

describe('cursors', () => {
  it('are taken from rows as Warehouse.query returns them', () => {
    expect(versionKeyOf({ valid_from: '2026-01-01T00:00:00.000Z', seq: null, event_id: 'e1' })).toEqual({
      validFrom: '2026-01-01T00:00:00.000Z',
      seq: null,
      eventId: 'e1',
    });
    expect(changeKeyOf({ recorded_at: '2026-01-01T00:00:00.000Z', entity_type: 'desk', id: 'd', event_id: 'e' })).toEqual({
      recordedAt: '2026-01-01T00:00:00.000Z',
      entityType: 'desk',
      id: 'd',
      eventId: 'e',
    });
    expect(deadLetterKeyOf({ received_at: '2026-01-01T00:00:00.000Z', dead_letter_id: 'x' })).toEqual({
      receivedAt: '2026-01-01T00:00:00.000Z',
      deadLetterId: 'x',
    });
  });
});
