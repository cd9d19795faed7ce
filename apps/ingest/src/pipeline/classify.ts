import type { DomainEvent } from '@phoenix/domain';
import { compareEventOrder } from '@phoenix/domain';

export type EventOutcome = 'applied' | 'duplicate' | 'superseded';

/** The version key of a current row, as read from the warehouse. */
export interface CurrentVersion {
  timeMs: number;
  seq: number | null;
  id: string;
}

export const eventKey = (tenantId: string, eventId: string) => `${tenantId}\u0000${eventId}`;
export const entityKey = (tenantId: string, entityType: string, entityId: string) => `${tenantId}\u0000${entityType}\u0000${entityId}`;

/**
 * Decides, for a batch of valid events, what each one does — before anything is written:
 * - duplicate: Phoenix recorded this event id for this tenant before, or it appeared earlier in the batch;
 * - applied: the newest version of its entity in the batch, and newer than the current row
 *   (or already the current row: a replay after a crash between the writes);
 * - superseded: an older version — still a fact for history, but not the current state.
 * Pure, so the accounting can be tested without a warehouse.
 */
export function classify(
  events: readonly DomainEvent[],
  recorded: ReadonlySet<string>,
  current: ReadonlyMap<string, CurrentVersion>,
): EventOutcome[] {
  const outcomes: EventOutcome[] = new Array(events.length);
  // Nested maps (tenant → event ids; tenant → entity type → entity id → index) rather
  // than concatenated keys: building and hashing two strings per event was most of
  // classify's cost (tools/bench/ingest). The warehouse's own sets are keyed by
  // eventKey/entityKey, so those keys are built only to look into non-empty ones.
  const seen = new Map<string, Set<string>>();
  const newestInBatch = new Map<string, Map<string, Map<string, number>>>();

  for (let i = 0; i < events.length; i++) {
    const event = events[i] as DomainEvent;
    let seenOfTenant = seen.get(event.tenantId);
    if (!seenOfTenant) seen.set(event.tenantId, (seenOfTenant = new Set()));
    if (seenOfTenant.has(event.id) || (recorded.size > 0 && recorded.has(eventKey(event.tenantId, event.id)))) {
      outcomes[i] = 'duplicate';
      continue;
    }
    seenOfTenant.add(event.id);
    let ofTenant = newestInBatch.get(event.tenantId);
    if (!ofTenant) newestInBatch.set(event.tenantId, (ofTenant = new Map()));
    let ofType = ofTenant.get(event.entityType);
    if (!ofType) ofTenant.set(event.entityType, (ofType = new Map()));
    const best = ofType.get(event.entityId);
    if (best === undefined || compareEventOrder(event, events[best] as DomainEvent) > 0) ofType.set(event.entityId, i);
    outcomes[i] = 'superseded';
  }

  for (const ofTenant of newestInBatch.values()) {
    for (const ofType of ofTenant.values()) {
      for (const i of ofType.values()) {
        const event = events[i] as DomainEvent;
        const row = current.size > 0 ? current.get(entityKey(event.tenantId, event.entityType, event.entityId)) : undefined;
        if (!row || row.id === event.id || compareEventOrder(event, row) > 0) outcomes[i] = 'applied';
      }
    }
  }
  return outcomes;
}
