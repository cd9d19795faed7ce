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
  const seen = new Set<string>();
  const newestInBatch = new Map<string, number>();

  events.forEach((event, i) => {
    const key = eventKey(event.tenantId, event.id);
    if (recorded.has(key) || seen.has(key)) {
      outcomes[i] = 'duplicate';
      return;
    }
    seen.add(key);
    const entity = entityKey(event.tenantId, event.entityType, event.entityId);
    const best = newestInBatch.get(entity);
    if (best === undefined || compareEventOrder(event, events[best] as DomainEvent) > 0) newestInBatch.set(entity, i);
    outcomes[i] = 'superseded';
  });

  for (const [entity, i] of newestInBatch) {
    const event = events[i] as DomainEvent;
    const row = current.get(entity);
    if (!row || row.id === event.id || compareEventOrder(event, row) > 0) outcomes[i] = 'applied';
  }
  return outcomes;
}
