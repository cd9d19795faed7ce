import { BOOKING_STATUSES, MEMBER_ROLES, SCOPES, type EntityType } from '@phoenix/domain';
import { listCurrentQuery, type Warehouse } from '@phoenix/bq';
import { connection, enumValues, page, requireScope, type SubgraphContext } from '@phoenix/subgraph';
import { toEntity, type EntityObject, type EntityStore } from './entities';
import type { Resolvers } from './generated/resolver-types';
import { listKey, LISTS, type ListArgs, type ListField } from './lists';

/**
 * The bookings subgraph's resolvers, typed by the resolver types generated from the SDL:
 * parents and results are the entity store's EntityObjects. Thin by design: by-id
 * fields, relations and `_entities` go through the entity store's DataLoaders; lists go
 * through LISTS and one warehouse query per page. Scopes are declared in the SDL (@scope)
 * and enforced by libs/subgraph; only entity references check bookings:read here.
 */
export function createResolvers(deps: { warehouse: Warehouse; store: EntityStore }): Resolvers {
  const { store } = deps;
  const byId = (type: EntityType) => (_: unknown, args: { id: string }, ctx: SubgraphContext) => store.load(ctx, type, args.id);
  const rel = (type: EntityType, field: string) => (parent: EntityObject, _: unknown, ctx: SubgraphContext) =>
    store.load(ctx, type, parent[field]);
  const enriched = (parent: EntityObject) => parent['enriched'] === true;

  const list = (name: ListField) => async (_: unknown, args: ListArgs, ctx: SubgraphContext) => {
    const spec = LISTS[name];
    const where = spec.where(args);
    const { kind, ...orderBy } = spec.order(args);
    const p = page(args, { list: name, arguments: { where, orderBy } }, listKey(kind));
    const rows = await ctx.db.query(
      `list:${spec.entityType}`,
      listCurrentQuery(deps.warehouse, spec.entityType, { tenantId: ctx.auth.tenantId, where, orderBy, after: p.after, limit: p.limit }),
    );
    const entities = rows.map(toEntity);
    store.prime(ctx, spec.entityType, entities);
    const sortField = orderBy.column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    return connection(p, entities, (e) => [e[sortField] as string | number, e.id] as const);
  };

  // `_entities`: the gateway asks for these by { __typename, id }. No SDL field carries the
  // scope on this path, so it is checked here.
  const reference = (type: EntityType, typeName: string) => ({
    __resolveReference: (ref: { id: string }, ctx: SubgraphContext) => {
      requireScope(ctx, SCOPES.read, `${typeName} (entity reference)`);
      return store.load(ctx, type, ref.id);
    },
  });

  return {
    Query: {
      building: byId('building'),
      buildings: list('buildings'),
      floor: byId('floor'),
      floors: list('floors'),
      desk: byId('desk'),
      desks: list('desks'),
      room: byId('room'),
      rooms: list('rooms'),
      team: byId('team'),
      teams: list('teams'),
      member: byId('member'),
      members: list('members'),
      deskBooking: byId('desk_booking'),
      deskBookings: list('deskBookings'),
      roomBooking: byId('room_booking'),
      roomBookings: list('roomBookings'),
      visit: byId('visit'),
      visits: list('visits'),
    },
    BookingStatus: enumValues(BOOKING_STATUSES),
    MemberRole: enumValues(MEMBER_ROLES),
    Building: reference('building', 'Building'),
    Floor: { ...reference('floor', 'Floor'), building: rel('building', 'buildingId') },
    Desk: { ...reference('desk', 'Desk'), floor: rel('floor', 'floorId') },
    Room: { ...reference('room', 'Room'), floor: rel('floor', 'floorId') },
    Team: reference('team', 'Team'),
    Member: { ...reference('member', 'Member'), team: rel('team', 'teamId') },
    DeskBooking: {
      ...reference('desk_booking', 'DeskBooking'),
      desk: rel('desk', 'deskId'),
      member: rel('member', 'memberId'),
      floor: rel('floor', 'floorId'),
      building: rel('building', 'buildingId'),
      enriched,
    },
    RoomBooking: {
      ...reference('room_booking', 'RoomBooking'),
      room: rel('room', 'roomId'),
      organizer: rel('member', 'organizerId'),
      floor: rel('floor', 'floorId'),
      building: rel('building', 'buildingId'),
      enriched,
    },
    Visit: {
      ...reference('visit', 'Visit'),
      host: rel('member', 'hostId'),
      building: rel('building', 'buildingId'),
      enriched,
    },
  };
}
