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
 * Decides, for a batch of valid events in arrival (partition) order, what each one did
 * when it arrived — before anything is written:
 * - duplicate: Phoenix recorded this event id for this tenant before, or it appeared earlier in the batch;
 * - applied: newer than every version of its entity that arrived before it — the current
 *   row and the earlier events of the batch (or already the current row: a replay after a
 *   crash between the writes);
 * - superseded: older than a version that arrived before it — still a fact for history,
 *   but it never was the current state.
 * So an outcome does not depend on where batch boundaries fall: a batch answers as if
 * its events had been written one by one. Several events of one entity can be applied;
 * only the newest of them becomes the current row (`becomesCurrent`).
 * Pure, so the accounting can be tested without a warehouse.
 */
export function classify(
  events: readonly DomainEvent[],
  recorded: Pick<ReadonlySet<string>, 'has' | 'size'>,
  current: ReadonlyMap<string, CurrentVersion>,
): EventOutcome[] {
  const outcomes: EventOutcome[] = new Array(events.length);
  // Nested maps (tenant → event ids; tenant → entity type → entity id → newest so far)
  // rather than concatenated keys: building and hashing two strings per event was most of
  // classify's cost (tools/bench/ingest). The warehouse's own sets are keyed by
  // eventKey/entityKey, so those keys are built only to look into non-empty ones.
  const seen = new Map<string, Set<string>>();
  const newestSoFar = new Map<string, Map<string, Map<string, CurrentVersion | DomainEvent | null>>>();

  for (let i = 0; i < events.length; i++) {
    const event = events[i] as DomainEvent;
    let seenOfTenant = seen.get(event.tenantId);
    if (!seenOfTenant) seen.set(event.tenantId, (seenOfTenant = new Set()));
    if (seenOfTenant.has(event.id) || (recorded.size > 0 && recorded.has(eventKey(event.tenantId, event.id)))) {
      outcomes[i] = 'duplicate';
      continue;
    }
    seenOfTenant.add(event.id);
    let ofTenant = newestSoFar.get(event.tenantId);
    if (!ofTenant) newestSoFar.set(event.tenantId, (ofTenant = new Map()));
    let ofType = ofTenant.get(event.entityType);
    if (!ofType) ofTenant.set(event.entityType, (ofType = new Map()));
    let newest = ofType.get(event.entityId);
    // First sight of the entity in this batch: what arrived before the batch is its current row.
    if (newest === undefined)
      newest = (current.size > 0 ? current.get(entityKey(event.tenantId, event.entityType, event.entityId)) : undefined) ?? null;
    if (newest === null || newest.id === event.id || compareEventOrder(event, newest) > 0) {
      outcomes[i] = 'applied';
      ofType.set(event.entityId, event);
    } else {
      outcomes[i] = 'superseded';
      ofType.set(event.entityId, newest);
    }
  }
  return outcomes;
}

/**
 * For each event, whether its version becomes the entity's current row: the last applied
 * event of its entity in the batch (applied events of one entity arrive in increasing
 * version order, so the last is the newest).
 */
export function becomesCurrent(events: readonly DomainEvent[], outcomes: readonly EventOutcome[]): boolean[] {
  const result = new Array<boolean>(events.length).fill(false);
  const last = new Map<string, Map<string, Map<string, number>>>();
  for (let i = 0; i < events.length; i++) {
    if (outcomes[i] !== 'applied') continue;
    const event = events[i] as DomainEvent;
    let ofTenant = last.get(event.tenantId);
    if (!ofTenant) last.set(event.tenantId, (ofTenant = new Map()));
    let ofType = ofTenant.get(event.entityType);
    if (!ofType) ofTenant.set(event.entityType, (ofType = new Map()));
    const before = ofType.get(event.entityId);
    if (before !== undefined) result[before] = false;
    ofType.set(event.entityId, i);
    result[i] = true;
  }
  return result;
}

/** Where events_raw says an event was recorded from, and what it did then. */
export interface RecordedEvent {
  topic: string | null;
  partition: number | null;
  offset: string | null;
  outcome: string | null;
}

/** A message's Kafka position. */
export interface Position {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * What each event counts as, given classify's outcomes: an event classify found recorded
 * (`duplicate`) whose message is at the very position events_raw recorded it from is the
 * same offset delivered again (an earlier write, maybe another instance's, that was never
 * committed): it counts under the outcome recorded then, as `redelivered`. The same event
 * id at any other position was sent again, and stays `duplicate`. Either way it writes
 * nothing: these outcomes are for the accounting, the rows follow classify's.
 */
export function deliveryOutcomes(
  events: readonly DomainEvent[],
  positions: readonly Position[],
  outcomes: readonly EventOutcome[],
  recorded: ReadonlyMap<string, RecordedEvent>,
): { outcome: EventOutcome; redelivered: boolean }[] {
  return outcomes.map((outcome, i) => {
    if (outcome !== 'duplicate') return { outcome, redelivered: false };
    const event = events[i] as DomainEvent;
    const at = recorded.get(eventKey(event.tenantId, event.id));
    const position = positions[i] as Position;
    const same =
      at !== undefined &&
      at.topic === position.topic &&
      at.partition === position.partition &&
      at.offset === position.offset &&
      (at.outcome === 'applied' || at.outcome === 'superseded');
    return same ? { outcome: at.outcome as EventOutcome, redelivered: true } : { outcome, redelivered: false };
  });
}
