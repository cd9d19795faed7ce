/**
 * The audit subgraph's read statements against the BigQuery emulator. Expected answers
 * come from an independent reference computed here from the same events with the
 * domain's compareEventOrder, never from the SQL's own logic.
 */
import {
  compareEventOrder,
  createCloudEvent,
  validateEvent,
  type DomainEvent,
  type EntityStateByType,
  type EntityType,
  type EventAction,
} from '@phoenix/domain';
import {
  appendHistoryStatement,
  asOfQuery,
  changeKeyOf,
  changesQuery,
  currentVersionQuery,
  DEAD_LETTERS_TABLE,
  deadLetterKeyOf,
  deadLetterRow,
  deadLettersQuery,
  entityHistoryQuery,
  eventDeadLettersQuery,
  eventTraceQuery,
  ident,
  insertRawEventsStatement,
  join,
  migrate,
  param,
  rawEventRow,
  sql,
  upsertCurrentStatement,
  versionKeyOf,
  versionRow,
  type ChangeKey,
  type ChangeRow,
  type CurrentVersionRow,
  type DeadLetterKey,
  type DeadLetterRecordRow,
  type DeadLetterRow,
  type DeadLetterSummaryRow,
  type EventTraceRow,
  type HistoryVersionRow,
  type ScalarType,
  type VersionKey,
  type Warehouse,
} from '../src/index';
import { createTestWarehouse, dropTestDataset } from '../src/testing';

/** One event as the warehouse recorded it: what happened (valid time) and when Phoenix learnt it (system time). */
interface Recorded {
  event: DomainEvent;
  recordedAt: string;
}

const V = (day: number) => `2026-01-${String(day).padStart(2, '0')}T09:00:00.000Z`;
const S = (day: number) => `2026-03-${String(day).padStart(2, '0')}T12:00:00.000Z`;
const ms = (iso: string) => Date.parse(iso);
const shift = (iso: string, deltaMs: number) => new Date(ms(iso) + deltaMs).toISOString();

function event(
  eventId: string,
  entityType: EntityType,
  action: EventAction,
  time: string,
  data: { id: string } & Record<string, unknown>,
  options: { seq?: number; tenantId?: string } = {},
): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id: eventId,
      tenantId: options.tenantId ?? 'acme',
      entityType,
      action,
      time,
      data: data as never,
      ...(options.seq === undefined ? {} : { seq: options.seq }),
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

const desk = (id: string, label: string): EntityStateByType['desk'] => ({
  id,
  floorId: 'flr_1',
  label,
  features: ['monitor'],
  bookable: true,
});
const deskVersion = (
  eventId: string,
  action: EventAction,
  validFrom: string,
  recordedAt: string,
  id: string,
  label: string | null,
  seq?: number,
  tenantId?: string,
): Recorded => ({
  event: event(eventId, 'desk', action, validFrom, label === null ? { id } : desk(id, label), {
    ...(seq === undefined ? {} : { seq }),
    ...(tenantId ? { tenantId } : {}),
  }),
  recordedAt,
});

/**
 * Desk histories. Event ids are chosen so that their ASCII order differs from the order
 * of arrival, and dsk_a has ties on valid time broken by seq and then by event id.
 */
const HISTORY: readonly Recorded[] = [
  deskVersion('h-05', 'created', V(1), S(1), 'dsk_a', 'a1'),
  deskVersion('h-02', 'updated', V(10), S(2), 'dsk_a', 'a2 seq 1 (h-02)', 1),
  deskVersion('h-09', 'updated', V(10), S(2), 'dsk_a', 'a2 no seq'),
  deskVersion('h-01', 'updated', V(10), S(3), 'dsk_a', 'a2 seq 1 (h-01)', 1),
  deskVersion('h-07', 'deleted', V(20), S(4), 'dsk_a', null),
  deskVersion('h-04', 'created', V(25), S(5), 'dsk_a', 'a3 re-created'),
  // The late correction: it happened on Jan 5 but Phoenix learnt of it only on Mar 6.
  deskVersion('h-03', 'updated', V(5), S(6), 'dsk_a', 'a1 corrected'),
  deskVersion('h-08', 'updated', V(28), S(7), 'dsk_a', 'a4'),
  deskVersion('b-1', 'created', V(3), S(1), 'dsk_b', 'b1'),
  deskVersion('b-2', 'updated', V(15), S(3), 'dsk_b', 'b2'),
  deskVersion('b-3', 'updated', V(15), S(8), 'dsk_b', 'b3 late tie-break', 0),
  deskVersion('c-1', 'created', V(2), S(1), 'dsk_c', 'c1'),
  deskVersion('c-2', 'deleted', V(4), S(2), 'dsk_c', null),
  // Same ids in another tenant: never visible to acme.
  deskVersion('g-1', 'created', V(1), S(1), 'dsk_a', 'globex a', undefined, 'globex'),
  deskVersion('g-2', 'updated', V(12), S(2), 'dsk_a', 'globex a2', undefined, 'globex'),
];

/** What every version-row comparison looks at. */
interface VersionView {
  id: string;
  event_id: string;
  valid_from: string;
  valid_to: string | null;
  recorded_at: string;
  deleted: boolean;
  label: string | null;
}

const view = (row: HistoryVersionRow): VersionView => ({
  id: row.id,
  event_id: row.event_id,
  valid_from: row.valid_from,
  valid_to: row.valid_to,
  recorded_at: row.recorded_at,
  deleted: row.deleted,
  label: (row['label'] as string | null) ?? null,
});

/** Reference: the versions of one entity known at `knownAt` (null = all), in domain order, each valid until the next. */
function referenceSlice(tenantId: string, id: string, knownAt: string | null): VersionView[] {
  const known = HISTORY.filter(
    (r) => r.event.tenantId === tenantId && r.event.entityId === id && (knownAt === null || ms(r.recordedAt) <= ms(knownAt)),
  ).sort((a, b) => compareEventOrder(a.event, b.event));
  return known.map((r, i) => ({
    id,
    event_id: r.event.id,
    valid_from: r.event.time,
    valid_to: known[i + 1]?.event.time ?? null,
    recorded_at: r.recordedAt,
    deleted: r.event.tombstone,
    label: r.event.tombstone ? null : (r.event.data as EntityStateByType['desk']).label,
  }));
}

/** Reference: the state as of valid time `validAt` as known at `knownAt` (tombstones included), or undefined. */
function referenceAsOf(tenantId: string, id: string, validAt: string, knownAt: string): VersionView | undefined {
  return referenceSlice(tenantId, id, knownAt)
    .filter((v) => ms(v.valid_from) <= ms(validAt))
    .at(-1);
}

describe('audit reads against the BigQuery emulator', () => {
  let warehouse: Warehouse;
  const query = <T extends HistoryVersionRow | ChangeRow | EventTraceRow | DeadLetterSummaryRow | CurrentVersionRow>(
    statement: Parameters<Warehouse['query']>[0],
  ) => warehouse.query<T>(statement);

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_audit', process.env);
    await migrate(warehouse);
    // History rows carry their own recorded_at, so one MERGE writes the whole fixture;
    // the current table gets the versions in arrival (recorded_at) order, as the ingest would.
    await warehouse.execute(
      appendHistoryStatement(
        warehouse,
        'desk',
        HISTORY.map((r) => versionRow(r.event, r.recordedAt)),
      ),
    );
    for (const r of [...HISTORY].sort((a, b) => ms(a.recordedAt) - ms(b.recordedAt))) {
      await warehouse.execute(upsertCurrentStatement(warehouse, 'desk', [versionRow(r.event, r.recordedAt)]));
    }
  });
  afterAll(async () => {
    await dropTestDataset(warehouse);
  });

  describe('entityHistoryQuery', () => {
    const readRows = (ids: string[], knownAt: string | null, first: number, after: VersionKey | null, tenantId = 'acme') =>
      query<HistoryVersionRow>(
        entityHistoryQuery(warehouse, 'desk', { tenantId, ids, knownAt: knownAt === null ? null : new Date(knownAt), first, after }),
      );
    const read = async (...args: Parameters<typeof readRows>) => (await readRows(...args)).map(view);

    it('returns every version of each id of the batch in version order, with valid_to', async () => {
      const rows = await read(['dsk_a', 'dsk_b', 'dsk_c', 'dsk_missing'], null, 1000, null);
      expect(rows).toEqual([
        ...referenceSlice('acme', 'dsk_a', null),
        ...referenceSlice('acme', 'dsk_b', null),
        ...referenceSlice('acme', 'dsk_c', null),
      ]);
      // Spelled out once, so the reference itself is checked too: ties on valid time go by
      // seq (none first), then event id; the late correction sits at its valid time.
      expect(rows.filter((r) => r.id === 'dsk_a').map((r) => r.event_id)).toEqual([
        'h-05',
        'h-03',
        'h-09',
        'h-01',
        'h-02',
        'h-07',
        'h-04',
        'h-08',
      ]);
      expect(rows.find((r) => r.event_id === 'h-05')?.valid_to).toBe(V(5));
    });

    it('as known at an earlier system time, leaves out later recordings and computes valid_to within that slice', async () => {
      const rows = await read(['dsk_a'], S(5), 1000, null);
      expect(rows).toEqual(referenceSlice('acme', 'dsk_a', S(5)));
      // Before the correction was recorded, the first version was valid until Jan 10.
      expect(rows[0]).toMatchObject({ event_id: 'h-05', valid_to: V(10) });
      expect(rows.map((r) => r.event_id)).not.toContain('h-03');
      expect(await read(['dsk_a'], shift(S(1), -1), 1000, null)).toEqual([]);
    });

    it('limits each id of a batch to first + 1 rows, so the caller can tell hasNextPage per id', async () => {
      const rows = await read(['dsk_a', 'dsk_b', 'dsk_c'], null, 2, null);
      expect(rows).toEqual([
        ...referenceSlice('acme', 'dsk_a', null).slice(0, 3),
        ...referenceSlice('acme', 'dsk_b', null).slice(0, 3),
        ...referenceSlice('acme', 'dsk_c', null),
      ]);
    });

    it.each([
      [1, null],
      [2, null],
      [3, null],
      [2, S(5)],
      [1, S(6)],
    ])('pages (first %i, known at %s) through every version exactly once, valid_to unaffected by the cursor', async (first, knownAt) => {
      for (const id of ['dsk_a', 'dsk_b', 'dsk_c']) {
        const seen: VersionView[] = [];
        let after: VersionKey | null = null;
        for (let page = 0; ; page++) {
          if (page > 20) throw new Error('paging does not end');
          const rows = await readRows([id], knownAt, first, after);
          const hasNextPage = rows.length > first;
          const pageRows = rows.slice(0, first);
          seen.push(...pageRows.map(view));
          if (!hasNextPage) break;
          after = versionKeyOf(pageRows.at(-1) as HistoryVersionRow);
        }
        expect(seen).toEqual(referenceSlice('acme', id, knownAt));
      }
    });

    it('keeps tenants apart: the same id of another tenant is another history', async () => {
      expect(await read(['dsk_a'], null, 1000, null, 'globex')).toEqual(referenceSlice('globex', 'dsk_a', null));
      expect((await read(['dsk_a'], null, 1000, null, 'globex')).map((r) => r.event_id)).toEqual(['g-1', 'g-2']);
      expect(await read(['dsk_a', 'dsk_b'], null, 1000, null, 'initech')).toEqual([]);
    });
  });

  describe('asOfQuery', () => {
    const asOf = async (ids: string[], validAt: string, knownAt: string, tenantId = 'acme') =>
      (
        await query<HistoryVersionRow>(
          asOfQuery(warehouse, 'desk', { tenantId, ids, validAt: new Date(validAt), knownAt: new Date(knownAt) }),
        )
      ).map(view);

    it('shows a late correction in valid-time history only as known from when it was recorded', async () => {
      // Jan 7 as known on Mar 5: the correction (valid Jan 5) had not arrived yet.
      expect(await asOf(['dsk_a'], V(7), S(5))).toEqual([expect.objectContaining({ event_id: 'h-05', label: 'a1', valid_to: V(10) })]);
      expect(await asOf(['dsk_a'], V(7), shift(S(6), -1))).toEqual([expect.objectContaining({ event_id: 'h-05' })]);
      // From Mar 6 on, the same valid time reads the correction.
      expect(await asOf(['dsk_a'], V(7), S(6))).toEqual([
        expect.objectContaining({ event_id: 'h-03', label: 'a1 corrected', valid_to: V(10) }),
      ]);
    });

    it('returns the tombstone while the entity was deleted, and nothing before its first version', async () => {
      expect(await asOf(['dsk_a'], V(22), S(4))).toEqual([
        expect.objectContaining({ event_id: 'h-07', deleted: true, label: null, valid_to: null }),
      ]);
      // Before the deletion was recorded, Jan 22 still read the Jan 10 version.
      expect(await asOf(['dsk_a'], V(22), S(3))).toEqual([expect.objectContaining({ event_id: 'h-02', deleted: false })]);
      expect(await asOf(['dsk_a'], V(22), S(5))).toEqual([expect.objectContaining({ event_id: 'h-07', valid_to: V(25) })]);
      expect(await asOf(['dsk_a'], shift(V(1), -1), S(9))).toEqual([]);
      expect(await asOf(['dsk_a'], V(9), shift(S(1), -1))).toEqual([]);
    });

    // Every (validAt, knownAt) pair around the fixture's instants, for a whole batch of ids.
    const validTimes = [...new Set(HISTORY.map((r) => r.event.time))];
    const recordedTimes = [...new Set(HISTORY.map((r) => r.recordedAt))].sort();
    const validAts = [...validTimes.flatMap((t) => [t, shift(t, -1)]), V(31)];
    const knownAts = [shift(S(1), -1), ...recordedTimes, shift(S(6), -1), S(20)];

    it.each(knownAts)('matches the reference at every valid time, known at %s', async (knownAt) => {
      for (const validAt of validAts) {
        const rows = await asOf(['dsk_a', 'dsk_b', 'dsk_c', 'dsk_missing'], validAt, knownAt);
        const expected = ['dsk_a', 'dsk_b', 'dsk_c'].flatMap((id) => referenceAsOf('acme', id, validAt, knownAt) ?? []);
        expect({ validAt, rows }).toEqual({ validAt, rows: expected });
      }
    });

    it('keeps tenants apart', async () => {
      expect(await asOf(['dsk_a'], V(15), S(9), 'globex')).toEqual([expect.objectContaining({ event_id: 'g-2', label: 'globex a2' })]);
      expect(await asOf(['dsk_a', 'dsk_b'], V(15), S(9), 'initech')).toEqual([]);
    });
  });

  describe('currentVersionQuery', () => {
    it("returns each current row's version key: the newest version by the domain order, tombstones included", async () => {
      const rows = await query<CurrentVersionRow>(
        currentVersionQuery(warehouse, 'desk', { tenantId: 'acme', ids: ['dsk_a', 'dsk_b', 'dsk_c', 'nope'] }),
      );
      const newest = (id: string) =>
        [...HISTORY]
          .filter((r) => r.event.tenantId === 'acme' && r.event.entityId === id)
          .sort((a, b) => compareEventOrder(a.event, b.event))
          .at(-1)?.event as DomainEvent;
      expect(rows).toEqual(
        ['dsk_a', 'dsk_b', 'dsk_c'].map((id) => ({
          tenant_id: 'acme',
          id,
          event_id: newest(id).id,
          valid_from: newest(id).time,
          seq: newest(id).seq,
          deleted: newest(id).tombstone,
        })),
      );
      expect(rows.find((r) => r.id === 'dsk_c')?.deleted).toBe(true);
      expect(await query(currentVersionQuery(warehouse, 'desk', { tenantId: 'initech', ids: ['dsk_a'] }))).toEqual([]);
    });
  });

  describe('changesQuery', () => {
    const F = '2026-04-01T00:00:00.000Z';
    const at = (seconds: number) => shift(F, seconds * 1000);
    const since = at(0);
    const until = at(10);
    let n = 0;
    const change = (entityType: 'desk' | 'room' | 'team' | 'building', id: string, recordedAt: string, tenantId = 'feed'): Recorded => {
      const eventId = `f-${String(++n).padStart(3, '0')}`;
      const data =
        entityType === 'desk'
          ? desk(id, eventId)
          : entityType === 'room'
            ? { id, floorId: 'flr_1', name: eventId, capacity: 4, features: [], bookable: true }
            : entityType === 'team'
              ? { id, name: eventId, costCenter: null }
              : { id, name: eventId, address: 'Main St 1', city: 'Berlin', countryCode: 'DE', timezone: 'Europe/Berlin' };
      return { event: event(eventId, entityType, 'updated', V(1 + (n % 20)), data, { tenantId }), recordedAt };
    };
    const write = async (recorded: readonly Recorded[]) => {
      for (const type of ['desk', 'room', 'team', 'building'] as const) {
        const rows = recorded.filter((r) => r.event.entityType === type).map((r) => versionRow(r.event, r.recordedAt));
        if (rows.length > 0) await warehouse.execute(appendHistoryStatement(warehouse, type, rows));
      }
    };
    const toChange = (r: Recorded): ChangeRow => ({
      entity_type: r.event.entityType,
      id: r.event.entityId,
      event_id: r.event.id,
      event_type: r.event.type,
      deleted: r.event.tombstone,
      seq: r.event.seq,
      valid_from: r.event.time,
      recorded_at: r.recordedAt,
    });
    const feedOrder = (a: ChangeRow, b: ChangeRow) =>
      ms(a.recorded_at) - ms(b.recorded_at) ||
      (a.entity_type < b.entity_type ? -1 : a.entity_type > b.entity_type ? 1 : 0) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
    const page = (after: ChangeKey | null, window: { since: string; until: string }, limit = 3) =>
      query<ChangeRow>(
        changesQuery(warehouse, {
          tenantId: 'feed',
          entityTypes: ['team', 'desk', 'room'],
          since: new Date(window.since),
          until: new Date(window.until),
          after,
          limit,
        }),
      );
    /** Reads pages until one is short; `between` runs after each page (writes landing meanwhile). */
    const readAll = async (window: { since: string; until: string }, between: (page: number) => Promise<void> = async () => undefined) => {
      const seen: ChangeRow[] = [];
      let after: ChangeKey | null = null;
      for (let p = 0; ; p++) {
        if (p > 20) throw new Error('paging does not end');
        const rows = await page(after, window);
        seen.push(...rows);
        await between(p);
        if (rows.length < 3) return seen;
        after = changeKeyOf(rows.at(-1) as ChangeRow);
      }
    };

    // Written before the first page: ties on recorded_at across entity types and ids,
    // two versions of one id recorded together, rows exactly at both bounds.
    const before: Recorded[] = [
      change('desk', 'dsk_1', at(0)), // == since: excluded
      change('team', 'tm_1', at(1)),
      change('room', 'rm_2', at(1)),
      change('desk', 'dsk_2', at(1)),
      change('room', 'rm_1', at(1)),
      change('desk', 'dsk_1', at(2)),
      change('desk', 'dsk_1', at(2)),
      change('building', 'bld_1', at(3)), // not asked for
      change('team', 'tm_1', at(5)),
      change('room', 'rm_1', at(7)),
      change('desk', 'dsk_3', at(10)), // == until: included
      change('team', 'tm_2', at(10)),
      change('desk', 'dsk_1', at(4), 'other-tenant'),
    ];
    // Written while the pages are read, all after the watermark.
    const arrivals: Recorded[][] = [
      [change('desk', 'dsk_4', shift(until, 1)), change('room', 'rm_3', at(11)), change('desk', 'dsk_1', at(11), 'other-tenant')],
      [change('team', 'tm_3', at(30)), change('desk', 'dsk_1', at(30))],
    ];
    const inWindow = (rows: readonly Recorded[], window: { since: string; until: string }) =>
      rows
        .filter((r) => r.event.tenantId === 'feed' && r.event.entityType !== 'building')
        .filter((r) => ms(r.recordedAt) > ms(window.since) && ms(r.recordedAt) <= ms(window.until))
        .map(toChange)
        .sort(feedOrder);

    it('pages through every change recorded in (since, until] exactly once, in order, while later writes land', async () => {
      await write(before);
      const expected = inWindow(before, { since, until });
      expect(expected).toHaveLength(10);
      const seen = await readAll({ since, until }, async (p) => {
        const batch = arrivals[p];
        if (batch) await write(batch);
      });
      expect(seen).toEqual(expected);
      expect(new Set(seen.map((r) => `${r.entity_type}/${r.id}/${r.event_id}`)).size).toBe(seen.length);
    });

    it('hands the rows recorded after the watermark to the next pass, exactly once', async () => {
      const next = { since: until, until: at(60) };
      const seen = await readAll(next);
      expect(seen).toEqual(inWindow(arrivals.flat(), next));
      expect(seen.map((r) => r.id)).toEqual(['dsk_4', 'rm_3', 'dsk_1', 'tm_3']);
    });

    it('keeps tenants apart', async () => {
      const rows = await query<ChangeRow>(
        changesQuery(warehouse, {
          tenantId: 'initech',
          entityTypes: ['desk', 'room', 'team'],
          since: new Date(0),
          until: new Date(at(60)),
          after: null,
          limit: 1000,
        }),
      );
      expect(rows).toEqual([]);
    });
  });

  describe('event trace and dead letters', () => {
    const traced = event('trace-1', 'desk', 'updated', V(9), desk('dsk_t', 'traced'));
    const envelope = createCloudEvent({
      id: 'trace-1',
      tenantId: 'acme',
      entityType: 'desk',
      action: 'updated',
      time: V(9),
      data: desk('dsk_t', 'traced'),
    });
    const position = (offset: number) => ({ topic: 'phoenix.events', partition: 2, offset: String(offset) });
    const R1 = '2026-03-09T10:00:00.000Z';
    const R2 = '2026-03-09T11:00:00.000Z';
    const problem = (code: 'INVALID_FIELD' | 'MALFORMED_JSON' | 'MISSING_FIELD', path: string) => ({
      code,
      path,
      message: `problem at ${path || 'root'}`,
    });
    const letters = [
      // An earlier, broken copy of the traced event.
      deadLetterRow({
        deadLetterId: 'phoenix.events/2/40',
        problems: [problem('INVALID_FIELD', '/data/label'), problem('MISSING_FIELD', '/data/floorId')],
        partial: { tenantId: 'acme', eventId: 'trace-1', type: 'phoenix.desk.updated' },
        value: Buffer.from('{"broken":'),
        key: Buffer.from('dsk_t'),
        headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
        position: position(40),
        receivedAt: R1,
      }),
      // The same event id claimed by another tenant: not acme's.
      deadLetterRow({
        deadLetterId: 'phoenix.events/1/7',
        problems: [problem('INVALID_FIELD', '/time')],
        partial: { tenantId: 'globex', eventId: 'trace-1' },
        value: Buffer.from('{}'),
        key: null,
        headers: {},
        position: { topic: 'phoenix.events', partition: 1, offset: '7' },
        receivedAt: R1,
      }),
      // Unreadable: no tenant, binary bytes.
      deadLetterRow({
        deadLetterId: 'phoenix.events/0/3',
        problems: [problem('MALFORMED_JSON', '')],
        partial: {},
        value: Buffer.from([0xff, 0x00, 0x7b, 0x80]),
        key: null,
        headers: {},
        position: { topic: 'phoenix.events', partition: 0, offset: '3' },
        receivedAt: R1,
      }),
      // Two more of acme's, received at the same instant (the id breaks the tie).
      ...['phoenix.events/2/50', 'phoenix.events/2/51'].map((deadLetterId, i) =>
        deadLetterRow({
          deadLetterId,
          problems: [problem('MISSING_FIELD', '/data/label')],
          partial: { tenantId: 'acme', eventId: `other-${i}` },
          value: Buffer.from(`{"n":${i}}`),
          key: null,
          headers: {},
          position: position(50 + i),
          receivedAt: R2,
        }),
      ),
    ];

    beforeAll(async () => {
      await warehouse.execute(
        insertRawEventsStatement(warehouse, [
          rawEventRow(traced, {
            payload: JSON.stringify(envelope),
            position: position(41),
            traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
            receivedAt: '2026-03-09T12:00:00.000Z',
            recordedAt: '2026-03-09T12:00:01.000Z',
            outcome: 'applied',
          }),
        ]),
      );
      await fileDeadLetters(warehouse, letters);
    });

    it('traces an event: its raw row without the payload, and the dead letters filed under its id', async () => {
      const trace = await query<EventTraceRow>(eventTraceQuery(warehouse, { tenantId: 'acme', eventIds: ['trace-1', 'never-seen'] }));
      expect(trace).toEqual([
        {
          tenant_id: 'acme',
          event_id: 'trace-1',
          event_type: 'phoenix.desk.updated',
          entity_type: 'desk',
          entity_id: 'dsk_t',
          event_time: V(9),
          seq: null,
          source: '/huddle',
          subject: 'desk/dsk_t',
          topic: 'phoenix.events',
          kafka_partition: 2,
          kafka_offset: 41,
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          received_at: '2026-03-09T12:00:00.000Z',
          recorded_at: '2026-03-09T12:00:01.000Z',
          outcome: 'applied',
        },
      ]);

      const dead = await query<DeadLetterSummaryRow>(eventDeadLettersQuery(warehouse, { tenantId: 'acme', eventIds: ['trace-1'] }));
      expect(dead).toHaveLength(1);
      expect(dead[0]).not.toHaveProperty('payload');
      expect(dead[0]).toMatchObject({
        dead_letter_id: 'phoenix.events/2/40',
        tenant_id: 'acme',
        event_id: 'trace-1',
        reason_code: 'INVALID_FIELD',
        kafka_offset: 40,
        received_at: R1,
        redriven_at: null,
      });
      expect(JSON.parse(dead[0]?.problems as string)).toEqual(JSON.parse(letters[0]?.['problems'] as string));
      expect(Buffer.from(dead[0]?.message_key as Buffer).toString()).toBe('dsk_t');
    });

    it('keeps tenants apart', async () => {
      expect(await query(eventTraceQuery(warehouse, { tenantId: 'globex', eventIds: ['trace-1'] }))).toEqual([]);
      expect(
        (await query<DeadLetterSummaryRow>(eventDeadLettersQuery(warehouse, { tenantId: 'globex', eventIds: ['trace-1'] }))).map(
          (r) => r.dead_letter_id,
        ),
      ).toEqual(['phoenix.events/1/7']);
      expect(await query(eventDeadLettersQuery(warehouse, { tenantId: 'initech', eventIds: ['trace-1'] }))).toEqual([]);
    });

    it('lists the dead letters without a tenant on their own, with the original bytes', async () => {
      const rows = await query<DeadLetterRecordRow>(
        deadLettersQuery(warehouse, { tenantId: null, reasonCodes: null, from: null, to: null, after: null, limit: 10 }),
      );
      expect(rows.map((r) => r.dead_letter_id)).toEqual(['phoenix.events/0/3']);
      expect(Buffer.from(rows[0]?.payload as Buffer)).toEqual(Buffer.from([0xff, 0x00, 0x7b, 0x80]));
    });

    it("pages through a tenant's dead letters newest first, each once, and filters by reason and time", async () => {
      const seen: DeadLetterRecordRow[] = [];
      let after: DeadLetterKey | null = null;
      for (let p = 0; p < 10; p++) {
        const rows: DeadLetterRecordRow[] = await query<DeadLetterRecordRow>(
          deadLettersQuery(warehouse, { tenantId: 'acme', reasonCodes: null, from: null, to: null, after, limit: 1 }),
        );
        seen.push(...rows);
        if (rows.length < 1) break;
        after = deadLetterKeyOf(rows[0] as DeadLetterRecordRow);
      }
      expect(seen.map((r) => r.dead_letter_id)).toEqual(['phoenix.events/2/51', 'phoenix.events/2/50', 'phoenix.events/2/40']);
      expect(Buffer.from(seen[0]?.payload as Buffer).toString()).toBe('{"n":1}');

      const filtered = await query<DeadLetterRecordRow>(
        deadLettersQuery(warehouse, {
          tenantId: 'acme',
          reasonCodes: ['INVALID_FIELD', 'MALFORMED_JSON'],
          from: new Date(R1),
          to: new Date(R2),
          after: null,
          limit: 10,
        }),
      );
      expect(filtered.map((r) => r.dead_letter_id)).toEqual(['phoenix.events/2/40']);
      // `to` is exclusive: R2's letters are outside [R1, R2).
      const none = await query(
        deadLettersQuery(warehouse, {
          tenantId: 'acme',
          reasonCodes: ['MISSING_FIELD'],
          from: new Date(R1),
          to: new Date(R2),
          after: null,
          limit: 10,
        }),
      );
      expect(none).toEqual([]);
    });
  });
});

/**
 * Files dead letters with their bytes sent as base64 STRING parameters and decoded by
 * FROM_BASE64 in SQL, the form that works on both the emulator and BigQuery (see
 * tools/local/bigquery/NOTES.md). insertDeadLettersStatement passes Buffers inside a
 * STRUCT parameter, which the Node client serialises as {"type":"Buffer",…} JSON: the
 * emulator stores that text as the bytes and BigQuery expects base64.
 */
async function fileDeadLetters(warehouse: Warehouse, rows: readonly DeadLetterRow[]): Promise<void> {
  const columns = DEAD_LETTERS_TABLE.columns;
  const fields = Object.fromEntries(columns.map((c) => [c.name, (c.type === 'BYTES' ? 'STRING' : c.type) as ScalarType]));
  const base64 = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('base64') : null);
  await warehouse.execute({
    sql: sql`INSERT INTO ${warehouse.table(DEAD_LETTERS_TABLE.name)} (${join(columns.map((c) => ident(c.name)))})
SELECT r.* REPLACE (FROM_BASE64(r.payload) AS payload, FROM_BASE64(r.message_key) AS message_key) FROM UNNEST(@rows) AS r`,
    params: {
      rows: param.structArray(
        fields,
        rows.map((r) => ({ ...r, payload: base64(r['payload']), message_key: base64(r['message_key']) })),
      ),
    },
  });
}
