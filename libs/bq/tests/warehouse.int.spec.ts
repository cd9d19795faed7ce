import {
  compareEventOrder,
  createCloudEvent,
  validateEvent,
  type DomainEvent,
  type EntityStateByType,
  type EntityType,
} from '@phoenix/domain';
import {
  appendHistoryStatement,
  migrate,
  MigrationRefusedError,
  param,
  sql,
  upsertCurrentStatement,
  versionRow,
  WAREHOUSE_TABLES,
  WarehouseError,
  type TableSpec,
  type Warehouse,
} from '../src/index';
import { createTestWarehouse, dropTestDataset, tableMetadata } from '../src/testing';

const desk = (label: string, features: string[] = []): EntityStateByType['desk'] => ({
  id: 'dsk_1',
  floorId: 'flr_1',
  label,
  features,
  bookable: true,
});

let eventCounter = 0;
function event<K extends EntityType>(
  entityType: K,
  action: 'created' | 'updated' | 'deleted',
  time: string,
  data: EntityStateByType[K] | { id: string },
  seq?: number,
  tenantId = 'acme',
): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id: `evt-${++eventCounter}`,
      tenantId,
      entityType,
      action,
      time,
      data: data as never,
      ...(seq === undefined ? {} : { seq }),
    }),
  );
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.event;
}

describe('warehouse against the BigQuery emulator', () => {
  let warehouse: Warehouse;

  beforeAll(async () => {
    warehouse = createTestWarehouse('it_bq', process.env);
  });
  afterAll(async () => {
    await dropTestDataset(warehouse);
  });

  describe('migrate', () => {
    it('creates the dataset and every table, partitioned and clustered as declared', async () => {
      const report = await migrate(warehouse);
      expect(report.datasetCreated).toBe(true);
      expect([...report.created].sort()).toEqual(WAREHOUSE_TABLES.map((t) => t.name).sort());

      const meta = await tableMetadata(warehouse, 'desk_booking_current');
      expect(meta.timePartitioning).toMatchObject({ type: 'DAY', field: 'start_time' });
      expect(meta.clustering?.fields).toEqual(['tenant_id', 'id']);
      expect(meta.schema.fields.find((f: { name: string }) => f.name === 'valid_from')).toMatchObject({
        type: 'TIMESTAMP',
        mode: 'REQUIRED',
      });
      // Only the transient stage expires: 3 days.
      expect((await tableMetadata(warehouse, 'ingest_stage')).timePartitioning).toMatchObject({
        field: 'staged_at',
        expirationMs: '259200000',
      });
      expect(meta.timePartitioning?.expirationMs).toBeUndefined();
    });

    it('is a no-op the second time', async () => {
      const report = await migrate(warehouse);
      expect(report).toMatchObject({ datasetCreated: false, created: [], altered: [] });
      expect(report.unchanged).toHaveLength(WAREHOUSE_TABLES.length);
    });

    it('adds a new nullable column to an existing table, which then accepts data', async () => {
      const base = WAREHOUSE_TABLES.find((t) => t.name === 'team_current') as TableSpec;
      const next: TableSpec = {
        ...base,
        columns: [...base.columns, { name: 'slack_channel', type: 'STRING', description: 'Team channel' }],
      };
      const report = await migrate(warehouse, { tables: [next] });
      expect(report.altered).toEqual([{ table: 'team_current', addedColumns: ['slack_channel'], relaxedColumns: [] }]);
      await warehouse.execute({
        sql: sql`INSERT INTO ${warehouse.table('team_current')} (tenant_id, id, deleted, event_id, event_type, valid_from, recorded_at, slack_channel)
                 VALUES (@tenant, 'team_1', FALSE, 'e', 'phoenix.team.created', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP(), @channel)`,
        params: { tenant: param.string('acme'), channel: param.string('#platform') },
      });
      const rows = await warehouse.query({
        sql: sql`SELECT slack_channel FROM ${warehouse.table('team_current')} WHERE tenant_id = @tenant`,
        params: { tenant: param.string('acme') },
      });
      expect(rows).toEqual([{ slack_channel: '#platform' }]);
      // …and the next run with that schema is a no-op again.
      expect((await migrate(warehouse, { tables: [next] })).unchanged).toEqual(['team_current']);
    });

    it('sets a partition expiration on an existing table in place, and the next run changes nothing', async () => {
      const base = WAREHOUSE_TABLES.find((t) => t.name === 'floor_history') as TableSpec;
      const next: TableSpec = { ...base, partitionExpirationDays: 400 };
      expect((await migrate(warehouse, { tables: [next] })).altered).toEqual([
        { table: 'floor_history', addedColumns: [], relaxedColumns: [], partitionExpirationDays: 400 },
      ]);
      expect((await tableMetadata(warehouse, 'floor_history')).timePartitioning).toMatchObject({
        field: 'recorded_at',
        expirationMs: String(400 * 86_400_000),
      });
      expect((await migrate(warehouse, { tables: [next] })).unchanged).toEqual(['floor_history']);
    });

    it('adds a column declared in the middle of a table, keeping the physical and declared schemas usable', async () => {
      const base = WAREHOUSE_TABLES.find((t) => t.name === 'desk_booking_current') as TableSpec;
      const at = base.columns.findIndex((c) => c.name === 'floor_id');
      const next: TableSpec = {
        ...base,
        columns: [
          ...base.columns.slice(0, at),
          { name: 'source_system', type: 'STRING', description: 'Where the booking was made' },
          ...base.columns.slice(at),
        ],
      };
      expect((await migrate(warehouse, { tables: [next] })).altered).toEqual([
        { table: 'desk_booking_current', addedColumns: ['source_system'], relaxedColumns: [] },
      ]);
      const meta = await tableMetadata(warehouse, 'desk_booking_current');
      expect(meta.schema.fields.map((f) => f.name).slice(-2)).toEqual(['enriched', 'source_system']);
      await warehouse.execute({
        sql: sql`INSERT INTO ${warehouse.table('desk_booking_current')} (tenant_id, id, deleted, event_id, event_type, valid_from, recorded_at, source_system, building_name)
                 VALUES ('acme', 'dbk_x', FALSE, 'e', 'phoenix.desk_booking.created', CURRENT_TIMESTAMP(), CURRENT_TIMESTAMP(), @source, @building)`,
        params: { source: param.string('kiosk'), building: param.string('Berlin HQ') },
      });
      const rows = await warehouse.query({
        sql: sql`SELECT source_system, building_name FROM ${warehouse.table('desk_booking_current')} WHERE id = @id`,
        params: { id: param.string('dbk_x') },
      });
      expect(rows).toEqual([{ source_system: 'kiosk', building_name: 'Berlin HQ' }]);
      expect((await migrate(warehouse, { tables: [next] })).unchanged).toEqual(['desk_booking_current']);
    });

    it('refuses a destructive change, naming table and column, and changes nothing', async () => {
      const base = WAREHOUSE_TABLES.find((t) => t.name === 'desk_current') as TableSpec;
      const dropped: TableSpec = { ...base, columns: base.columns.filter((c) => c.name !== 'label') };
      const retyped: TableSpec = {
        ...base,
        columns: base.columns.map((c) => (c.name === 'bookable' ? { ...c, type: 'STRING' as const } : c)),
      };
      const creatable: TableSpec = { ...base, name: 'would_be_created' };
      const error = await migrate(warehouse, { tables: [creatable, dropped, retyped] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationRefusedError);
      expect((error as Error).message).toContain('desk_current.label');
      expect((error as MigrationRefusedError).refusals.map((r) => `${r.code} ${r.table}.${r.column}`)).toEqual(
        expect.arrayContaining(['COLUMN_REMOVED desk_current.label', 'COLUMN_TYPE_CHANGED desk_current.bookable']),
      );
      const meta = await tableMetadata(warehouse, 'desk_current');
      expect(meta.schema.fields.map((f: { name: string }) => f.name)).toContain('label');
      // Nothing of the plan was applied, not even the harmless part.
      expect(await warehouse.listTables()).not.toContain('would_be_created');
    });
  });

  describe('MERGE into a current table keyed by id with an event-time condition', () => {
    const read = () =>
      warehouse.query<{ id: string; label: string | null; features: string[]; deleted: boolean; event_id: string; valid_from: string }>({
        sql: sql`SELECT id, label, features, deleted, event_id, valid_from FROM ${warehouse.table('desk_current')} WHERE tenant_id = @tenant ORDER BY id`,
        params: { tenant: param.string('acme') },
      });
    const upsert = (...events: DomainEvent[]) =>
      warehouse.execute(
        upsertCurrentStatement(
          warehouse,
          'desk',
          events.map((e) => versionRow(e, new Date())),
        ),
      );

    it('inserts a new entity, replaces it with newer versions and ignores older ones', async () => {
      const v1 = event('desk', 'created', '2026-01-05T09:00:00Z', desk('1.01'));
      const v2 = event('desk', 'updated', '2026-01-06T09:00:00Z', desk('1.02', ['monitor']));
      const v3 = event('desk', 'updated', '2026-01-07T09:00:00Z', desk('1.03', ['monitor', 'standing']));
      await upsert(v1);
      expect(await read()).toMatchObject([{ id: 'dsk_1', label: '1.01', features: [], deleted: false }]);
      await upsert(v3);
      expect(await read()).toMatchObject([
        { label: '1.03', features: ['monitor', 'standing'], event_id: v3.id, valid_from: '2026-01-07T09:00:00.000Z' },
      ]);
      // v2 arrives late: it is older than what the table holds, so nothing changes.
      expect((await upsert(v2)).affectedRows).toBe(0);
      expect(await read()).toMatchObject([{ label: '1.03', event_id: v3.id }]);
      // Re-applying the same version is a no-op too.
      expect((await upsert(v3)).affectedRows).toBe(0);
    });

    it('breaks event-time ties by sequence, and applies a batch holding several versions of one entity', async () => {
      const t = '2026-01-08T09:00:00Z';
      const a = event('desk', 'updated', t, desk('seq-5'), 5);
      const b = event('desk', 'updated', t, desk('seq-7'), 7);
      const c = event('desk', 'updated', t, desk('seq-6'), 6);
      await upsert(a, b, c);
      expect(await read()).toMatchObject([{ label: 'seq-7' }]);
    });

    it('breaks ties in SQL exactly as compareEventOrder does, whatever order single-version writes arrive in', async () => {
      const t = '2026-01-20T09:00:00Z';
      const versions = [
        event('desk', 'updated', t, { ...desk('no-seq'), id: 'dsk_tie' }),
        event('desk', 'updated', t, { ...desk('seq-0'), id: 'dsk_tie' }, 0),
        event('desk', 'updated', t, { ...desk('seq-3-a'), id: 'dsk_tie' }, 3),
        event('desk', 'updated', t, { ...desk('seq-3-b'), id: 'dsk_tie' }, 3),
      ];
      const newest = [...versions].sort(compareEventOrder).at(-1) as DomainEvent;
      const orders = [
        [0, 1, 2, 3],
        [3, 2, 1, 0],
        [1, 3, 0, 2],
        [2, 0, 3, 1],
      ];
      for (const [n, order] of orders.entries()) {
        const tenant = `tie${n}`;
        for (const i of order) {
          const v = versions[i] as DomainEvent;
          await warehouse.execute(upsertCurrentStatement(warehouse, 'desk', [versionRow({ ...v, tenantId: tenant }, new Date())]));
        }
        const rows = await warehouse.query({
          sql: sql`SELECT event_id FROM ${warehouse.table('desk_current')} WHERE tenant_id = @tenant`,
          params: { tenant: param.string(tenant) },
        });
        expect(rows).toEqual([{ event_id: newest.id }]);
      }
    });

    it('turns the row into a tombstone with NULL entity columns on delete', async () => {
      await upsert(event('desk', 'deleted', '2026-01-09T09:00:00Z', { id: 'dsk_1' }));
      expect(await read()).toMatchObject([{ id: 'dsk_1', deleted: true, label: null }]);
    });

    it('keeps tenants apart: the same id in another tenant is another row', async () => {
      await upsert(event('desk', 'created', '2026-01-05T09:00:00Z', desk('other'), undefined, 'globex'));
      expect(await read()).toHaveLength(1);
    });

    it('appends each version to the history table once, however often it is written', async () => {
      const versions = [
        event('desk', 'created', '2026-02-01T09:00:00Z', { ...desk('h1'), id: 'dsk_h' }),
        event('desk', 'updated', '2026-02-02T09:00:00Z', { ...desk('h2'), id: 'dsk_h' }),
      ];
      const rows = versions.map((e) => versionRow(e, new Date()));
      await warehouse.execute(appendHistoryStatement(warehouse, 'desk', rows));
      await warehouse.execute(appendHistoryStatement(warehouse, 'desk', [...rows, ...rows]));
      const history = await warehouse.query({
        sql: sql`SELECT label FROM ${warehouse.table('desk_history')} WHERE tenant_id = @tenant AND id = @id ORDER BY valid_from`,
        params: { tenant: param.string('acme'), id: param.string('dsk_h') },
      });
      expect(history).toEqual([{ label: 'h1' }, { label: 'h2' }]);
    });
  });

  describe('parameterized queries', () => {
    beforeAll(async () => {
      const rows = ['a', 'b', 'c'].map((id, i) =>
        versionRow(
          event(
            'team',
            'created',
            `2026-01-0${i + 1}T00:00:00Z`,
            { id: `team_${id}`, name: `Team ${id}`, costCenter: null },
            undefined,
            'initech',
          ),
          new Date(),
        ),
      );
      await warehouse.execute(upsertCurrentStatement(warehouse, 'team', rows));
    });

    it('selects by an array parameter with IN UNNEST(@ids), scoped to the tenant', async () => {
      const rows = await warehouse.query({
        sql: sql`SELECT id, name, valid_from FROM ${warehouse.table('team_current')} WHERE tenant_id = @tenant AND id IN UNNEST(@ids) ORDER BY id`,
        params: { tenant: param.string('initech'), ids: param.array('STRING', ['team_a', 'team_c', 'team_missing']) },
      });
      expect(rows).toEqual([
        { id: 'team_a', name: 'Team a', valid_from: '2026-01-01T00:00:00.000Z' },
        { id: 'team_c', name: 'Team c', valid_from: '2026-01-03T00:00:00.000Z' },
      ]);
    });

    it('handles an empty array, NULLs and typed timestamps', async () => {
      const none = await warehouse.query({
        sql: sql`SELECT id FROM ${warehouse.table('team_current')} WHERE tenant_id = @tenant AND id IN UNNEST(@ids)`,
        params: { tenant: param.string('initech'), ids: param.array('STRING', []) },
      });
      expect(none).toEqual([]);
      const after = await warehouse.query({
        sql: sql`SELECT id FROM ${warehouse.table('team_current')} WHERE tenant_id = @tenant AND valid_from > @since AND (@name IS NULL OR name = @name) ORDER BY id`,
        params: { tenant: param.string('initech'), since: param.timestamp('2026-01-01T12:00:00Z'), name: param.string(null) },
      });
      expect(after.map((r) => r['id'])).toEqual(['team_b', 'team_c']);
    });

    it('treats a value that looks like SQL as a value', async () => {
      const rows = await warehouse.query({
        sql: sql`SELECT id FROM ${warehouse.table('team_current')} WHERE tenant_id = @tenant`,
        params: { tenant: param.string("initech' OR '1'='1") },
      });
      expect(rows).toEqual([]);
    });

    it('raises a coded WarehouseError for a failing query instead of returning no rows', async () => {
      const error = await warehouse
        .query({ sql: sql`SELECT no_such_column FROM ${warehouse.table('team_current')}`, params: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseError);
      expect(error).toMatchObject({ code: 'QUERY_FAILED', retryable: false });
    });
  });
});
