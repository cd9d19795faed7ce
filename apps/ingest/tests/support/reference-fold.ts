/**
 * An independent model of what the warehouse must hold after ingesting a stream,
 * written without the pipeline's code (no compareEventOrder, no versionRow): the
 * property tests compare the real warehouse against it.
 */
import { validateEvent, type DomainEvent, type GeneratedMessage } from '@phoenix/domain';

export interface ExpectedCurrent {
  tenant_id: string;
  id: string;
  deleted: boolean;
  event_id: string;
  /** Entity fields, snake_case, as the event carried them (null for tombstones). */
  fields: Record<string, unknown>;
}

export interface ExpectedWarehouse {
  /** entity type → "tenant/id" → expected current row */
  current: Map<string, Map<string, ExpectedCurrent>>;
  /** entity type → sorted "tenant/id/event id@valid time (epoch ms)" of every distinct version */
  history: Map<string, string[]>;
  /** sorted "tenant/event id" of every distinct valid event */
  raw: string[];
  deadLetters: number;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function later(a: DomainEvent, b: DomainEvent): boolean {
  // (event time, sequence with "absent" lowest, event id) — the rule in docs/data-model.md.
  const ka = [a.timeMs, a.seq === null ? -1 : a.seq];
  const kb = [b.timeMs, b.seq === null ? -1 : b.seq];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] as number) > (kb[i] as number);
  return a.id > b.id;
}

export function foldStream(messages: readonly Pick<GeneratedMessage, 'value'>[], maxBytes?: number): ExpectedWarehouse {
  const distinct = new Map<string, DomainEvent>();
  let deadLetters = 0;
  for (const m of messages) {
    const result = validateEvent(m.value, maxBytes === undefined ? {} : { maxBytes });
    if (!result.ok) {
      deadLetters++;
      continue;
    }
    distinct.set(`${result.event.tenantId}/${result.event.id}`, result.event);
  }
  const current = new Map<string, Map<string, ExpectedCurrent>>();
  const history = new Map<string, string[]>();
  const winners = new Map<string, DomainEvent>();
  for (const e of distinct.values()) {
    const key = `${e.entityType}|${e.tenantId}/${e.entityId}`;
    const seen = winners.get(key);
    if (!seen || later(e, seen)) winners.set(key, e);
    history.set(e.entityType, [...(history.get(e.entityType) ?? []), `${e.tenantId}/${e.entityId}/${e.id}@${e.timeMs}`]);
  }
  for (const e of winners.values()) {
    const fields: Record<string, unknown> = {};
    if (!e.tombstone) for (const [k, v] of Object.entries(e.data)) if (k !== 'id') fields[snake(k)] = v ?? null;
    const byEntity = current.get(e.entityType) ?? new Map<string, ExpectedCurrent>();
    byEntity.set(`${e.tenantId}/${e.entityId}`, { tenant_id: e.tenantId, id: e.entityId, deleted: e.tombstone, event_id: e.id, fields });
    current.set(e.entityType, byEntity);
  }
  for (const list of history.values()) list.sort();
  return { current, history, raw: [...distinct.keys()].sort(), deadLetters };
}
