import { join } from 'node:path';
import { BOOKING_STATUSES, ENTITY_TYPES, MEMBER_ROLES } from '@phoenix/domain';

/**
 * The subgraphs the supergraph is composed from: name (the gateway routes by it), the
 * SDL file beside the subgraph's resolvers, and the URL the checked-in supergraph names.
 * Deployments override the URLs at runtime (gateway configuration), not here.
 */
export interface SubgraphSource {
  name: string;
  sdlPath: string;
  url: string;
  /** Where the resolver types generated from the SDL go (resolver-types.ts). */
  resolverTypesPath: string;
  /** graphql-codegen settings of this subgraph: mappers from GraphQL types to its own objects, scalars. */
  codegen: Record<string, unknown>;
}

/** GraphQL enum value → the value resolvers and the warehouse use (BOOKED → booked). */
const internalValues = (values: readonly string[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v]));
const ENTITY_TYPE_NAMES = ['Building', 'Floor', 'Desk', 'Room', 'Team', 'Member', 'DeskBooking', 'RoomBooking', 'Visit'];
const mapAll = (names: readonly string[], to: string) => Object.fromEntries(names.map((n) => [n, to]));

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export const SUBGRAPHS: readonly SubgraphSource[] = [
  {
    name: 'bookings',
    sdlPath: 'apps/subgraph-bookings/src/schema.graphql',
    url: 'http://127.0.0.1:4001/graphql',
    resolverTypesPath: 'apps/subgraph-bookings/src/generated/resolver-types.ts',
    codegen: {
      scalars: { DateTime: 'string', Date: 'string' },
      enumValues: { BookingStatus: internalValues(BOOKING_STATUSES), MemberRole: internalValues(MEMBER_ROLES) },
      // Resolvers receive and return current-state rows as the entity store reads them.
      mappers: mapAll(ENTITY_TYPE_NAMES, '../entities#EntityObject'),
    },
  },
  {
    name: 'audit',
    sdlPath: 'apps/subgraph-audit/src/schema.graphql',
    url: 'http://127.0.0.1:4002/graphql',
    resolverTypesPath: 'apps/subgraph-audit/src/generated/resolver-types.ts',
    codegen: {
      scalars: { DateTime: 'string', Date: 'string' },
      enumValues: {
        EntityType: internalValues(ENTITY_TYPES),
        BookingStatus: internalValues(BOOKING_STATUSES),
        MemberRole: internalValues(MEMBER_ROLES),
      },
      // Resolvers return versions as toVersion builds them, and entities as references
      // (this subgraph owns no current state).
      mappers: {
        Version: '../versions#VersionObject',
        Entity: '../versions#EntityRef',
        ...mapAll(
          ENTITY_TYPE_NAMES.map((n) => `${n}Version`),
          '../versions#VersionObject',
        ),
      },
    },
  },
  {
    name: 'commands',
    sdlPath: 'apps/subgraph-commands/src/schema.graphql',
    url: 'http://127.0.0.1:4003/graphql',
    resolverTypesPath: 'apps/subgraph-commands/src/generated/resolver-types.ts',
    codegen: { scalars: { JSON: 'unknown' } },
  },
];

/** Where the composed supergraph is checked in: the gateway loads it at start. */
export const SUPERGRAPH_PATH = 'apps/gateway/src/supergraph.graphql';
