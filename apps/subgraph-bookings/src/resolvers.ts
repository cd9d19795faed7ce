import { SCOPES, type EntityType } from '@phoenix/domain';
import { listCurrentQuery, type Warehouse } from '@phoenix/bq';
import { connection, page, requireScope, type PageArgs, type SubgraphContext, type SubgraphResolvers } from '@phoenix/subgraph';
import { toEntity, type EntityObject, type EntityStore } from './entities';
import { isKeyOf, LISTS, type ListArgs } from './lists';

/** GraphQL type name → entity type, for `_entities` and the by-id fields. */
const TYPES: Record<string, EntityType> = {
  Building: 'building',
  Floor: 'floor',
  Desk: 'desk',
  Room: 'room',
  Team: 'team',
  Member: 'member',
  DeskBooking: 'desk_booking',
  RoomBooking: 'room_booking',
  Visit: 'visit',
};

const BY_ID_FIELD: Record<string, string> = {
  building: 'Building',
  floor: 'Floor',
  desk: 'Desk',
  room: 'Room',
  team: 'Team',
  member: 'Member',
  deskBooking: 'DeskBooking',
  roomBooking: 'RoomBooking',
  visit: 'Visit',
};

const lower = (values: readonly string[]) => Object.fromEntries(values.map((v) => [v, v.toLowerCase()]));

/**
 * The bookings subgraph's resolvers: thin by design. By-id fields, relations and
 * `_entities` go through the entity store's DataLoaders; lists go through LISTS and one
 * warehouse query per page. Scopes are declared in the SDL (@scope) and enforced by
 * libs/subgraph; only entity references check bookings:read here.
 */
export function createResolvers(deps: { warehouse: Warehouse; store: EntityStore }): SubgraphResolvers {
  const { store } = deps;
  const read = (ctx: SubgraphContext, what: string) => requireScope(ctx, SCOPES.read, what);
  const rel = (type: EntityType, field: string) => (parent: EntityObject, _: unknown, ctx: SubgraphContext) =>
    store.load(ctx, type, parent[field]);

  async function list(name: string, args: ListArgs & PageArgs, ctx: SubgraphContext) {
    const spec = LISTS[name];
    if (!spec) throw new Error(`no list spec for ${name}`);
    const where = spec.where(args);
    const { kind, ...orderBy } = spec.order(args);
    const p = page(args, { list: name, arguments: { where, orderBy } }, { validateKey: isKeyOf(kind) });
    const rows = await ctx.db.query(
      `list:${spec.entityType}`,
      listCurrentQuery(deps.warehouse, spec.entityType, { tenantId: ctx.auth.tenantId, where, orderBy, after: p.after, limit: p.limit }),
    );
    const entities = rows.map(toEntity);
    store.prime(ctx, spec.entityType, entities);
    const sortField = orderBy.column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return connection(p, entities, (e) => [e[sortField], e.id]);
  }

  const Query: Record<string, unknown> = {};
  for (const [field, typeName] of Object.entries(BY_ID_FIELD)) {
    const type = TYPES[typeName] as EntityType;
    Query[field] = (_: unknown, args: { id: string }, ctx: SubgraphContext) => store.load(ctx, type, args.id);
  }
  for (const name of Object.keys(LISTS)) {
    Query[name] = (_: unknown, args: ListArgs & PageArgs, ctx: SubgraphContext) => list(name, args, ctx);
  }

  // `_entities`: the gateway asks for these by { __typename, id }. No SDL field carries the
  // scope on this path, so it is checked here.
  const reference = (typeName: string) => ({
    __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => {
      read(ctx, `${typeName} (entity reference)`);
      return store.load(ctx, TYPES[typeName] as EntityType, ref.id);
    },
  });

  return {
    Query,
    BookingStatus: { BOOKED: 'booked', CHECKED_IN: 'checked_in', CANCELLED: 'cancelled', NO_SHOW: 'no_show', COMPLETED: 'completed' },
    MemberRole: lower(['EMPLOYEE', 'CONTRACTOR', 'ADMIN']),
    Building: reference('Building'),
    Floor: { ...reference('Floor'), building: rel('building', 'buildingId') },
    Desk: { ...reference('Desk'), floor: rel('floor', 'floorId') },
    Room: { ...reference('Room'), floor: rel('floor', 'floorId') },
    Team: reference('Team'),
    Member: {
      ...reference('Member'),
      team: rel('team', 'teamId'),
    },
    DeskBooking: {
      ...reference('DeskBooking'),
      desk: rel('desk', 'deskId'),
      member: rel('member', 'memberId'),
      floor: rel('floor', 'floorId'),
      building: rel('building', 'buildingId'),
      enriched: (b: EntityObject) => b['enriched'] === true,
    },
    RoomBooking: {
      ...reference('RoomBooking'),
      room: rel('room', 'roomId'),
      organizer: rel('member', 'organizerId'),
      floor: rel('floor', 'floorId'),
      building: rel('building', 'buildingId'),
      enriched: (b: EntityObject) => b['enriched'] === true,
    },
    Visit: {
      ...reference('Visit'),
      host: rel('member', 'hostId'),
      building: rel('building', 'buildingId'),
      enriched: (v: EntityObject) => v['enriched'] === true,
    },
  };
}
