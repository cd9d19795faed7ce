/**
 * What an API consumer may read and write. The gateway puts a consumer's scopes into the signed
 * request context; the subgraphs enforce them field by field, so a consumer without a
 * scope gets a FORBIDDEN error for that field and no data — whichever way the query
 * reaches the field.
 */
export const SCOPES = {
  /** Current state of every entity type (bookings subgraph). */
  read: 'bookings:read',
  /** Personal data: member names and emails, visitor names and emails, dead-letter payloads. */
  personalData: 'people:read',
  /** Version history, as-of queries and the change feed (audit subgraph). */
  history: 'audit:read',
  /** Where an event came from and what happened to it. */
  eventTrace: 'audit:trace',
  /** Dead letters of the consumer's tenant: operators only. */
  deadLetters: 'ops:dead-letters',
  /** Commands on desk and room bookings: book, cancel, check in (commands subgraph). */
  bookingsWrite: 'bookings:write',
  /** Commands on visits: register, sign in, sign out (commands subgraph). */
  visitsWrite: 'visits:write',
  /** Raw events of any entity type from a source system: publishEvents and POST /v1/events. */
  eventsWrite: 'events:write',
} as const;

export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);
