import { createCloudEvent, validateEvent, type DomainEvent } from '@phoenix/domain';
import { becomesCurrent, classify, deliveryOutcomes, entityKey, eventKey, type CurrentVersion, type RecordedEvent } from './classify';

function ev(id: string, time: string, seq?: number, entity = 'dsk_1', tenant = 'acme'): DomainEvent {
  const result = validateEvent(
    createCloudEvent({
      id,
      tenantId: tenant,
      entityType: 'desk',
      action: 'updated',
      time,
      data: { id: entity, floorId: 'f', label: id, features: [], bookable: true },
      ...(seq === undefined ? {} : { seq }),
    }),
  );
  if (!result.ok) throw new Error('bad fixture');
  return result.event;
}

const current = (e: DomainEvent): [string, CurrentVersion] => [
  entityKey(e.tenantId, e.entityType, e.entityId),
  { timeMs: e.timeMs, seq: e.seq, id: e.id },
];

describe('classify', () => {
  const v1 = ev('e1', '2026-01-01T00:00:00Z');
  const v2 = ev('e2', '2026-01-02T00:00:00Z');
  const v3 = ev('e3', '2026-01-03T00:00:00Z');

  it('applies each event newer than everything of its entity that arrived before it, in batch order', () => {
    // v2 was the first of its entity to arrive: applied on arrival, although v3 came later in the batch.
    expect(classify([v2, v1, v3], new Set(), new Map())).toEqual(['applied', 'superseded', 'applied']);
    expect(classify([v1, v2, v3], new Set(), new Map())).toEqual(['applied', 'applied', 'applied']);
    expect(classify([v3, v2, v1], new Set(), new Map())).toEqual(['applied', 'superseded', 'superseded']);
    expect(classify([v1, v2, v3], new Set(), new Map([current(v2)]))).toEqual(['superseded', 'applied', 'applied']);
  });

  it('answers the same whether a stream arrives in one batch or one event at a time', () => {
    const stream = [v2, v1, v3, ev('e4', '2026-01-02T12:00:00Z')];
    let row: [string, CurrentVersion] | undefined;
    const oneByOne = stream.map((e) => {
      const [outcome] = classify([e], new Set(), new Map(row ? [row] : []));
      if (outcome === 'applied') row = current(e);
      return outcome;
    });
    expect(classify(stream, new Set(), new Map())).toEqual(oneByOne);
  });

  it('makes only the newest applied version of each entity the current row', () => {
    const other = ev('o1', '2026-01-01T00:00:00Z', undefined, 'dsk_2');
    const batch = [v1, other, v2, v1, v3];
    const outcomes = classify(batch, new Set(), new Map());
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'duplicate', 'applied']);
    expect(becomesCurrent(batch, outcomes)).toEqual([false, true, false, false, true]);
  });

  it('marks events already recorded, or repeated in the batch, as duplicates', () => {
    expect(classify([v1, v2, v1], new Set([eventKey('acme', 'e2')]), new Map())).toEqual(['applied', 'duplicate', 'duplicate']);
  });

  it('supersedes versions older than the current row, and applies newer ones', () => {
    expect(classify([v1], new Set(), new Map([current(v2)]))).toEqual(['superseded']);
    expect(classify([v3], new Set(), new Map([current(v2)]))).toEqual(['applied']);
  });

  it('counts a replayed version that is already the current row as applied (crash between writes)', () => {
    expect(classify([v2], new Set(), new Map([current(v2)]))).toEqual(['applied']);
  });

  it('keeps tenants and entities apart', () => {
    const other = ev('e1', '2026-01-01T00:00:00Z', undefined, 'dsk_1', 'globex');
    const otherEntity = ev('e9', '2025-01-01T00:00:00Z', undefined, 'dsk_2');
    expect(classify([v3, other, otherEntity], new Set([eventKey('acme', 'e1')]), new Map([current(v2)]))).toEqual([
      'applied',
      'applied',
      'applied',
    ]);
  });

  it('breaks event-time ties by sequence, then event id', () => {
    const a = ev('a', '2026-01-01T00:00:00Z', 2);
    const b = ev('b', '2026-01-01T00:00:00Z', 1);
    const c = ev('c', '2026-01-01T00:00:00Z', 2);
    expect(classify([a, b, c], new Set(), new Map())).toEqual(['applied', 'superseded', 'applied']);
    expect(classify([c, b, a], new Set(), new Map())).toEqual(['applied', 'superseded', 'superseded']);
  });
});

describe('deliveryOutcomes', () => {
  const v1 = ev('e1', '2026-01-01T00:00:00Z');
  const v2 = ev('e2', '2026-01-02T00:00:00Z');
  const at = (offset: string, partition = 0, topic = 'ev') => ({ topic, partition, offset });
  const recorded = (offset: string, outcome: string): RecordedEvent => ({ topic: 'ev', partition: 0, offset, outcome });

  it('counts an offset an earlier write recorded (never committed) under its recorded outcome, as redelivered', () => {
    const recordings = new Map([
      [eventKey('acme', 'e1'), recorded('7', 'superseded')],
      [eventKey('acme', 'e2'), recorded('8', 'applied')],
    ]);
    const events = [v1, v2];
    const outcomes = classify(events, recordings, new Map([current(v2)]));
    expect(outcomes).toEqual(['duplicate', 'duplicate']);
    expect(deliveryOutcomes(events, [at('7'), at('8')], outcomes, recordings)).toEqual([
      { outcome: 'superseded', redelivered: true },
      { outcome: 'applied', redelivered: true },
    ]);
  });

  it('keeps an event sent again at another offset, partition or topic a duplicate', () => {
    const recordings = new Map([[eventKey('acme', 'e1'), recorded('7', 'applied')]]);
    const events = [v1, v1, v1, v1];
    const positions = [at('9'), at('7', 1), at('7', 0, 'other'), at('7')];
    const outcomes = classify(events, recordings, new Map());
    expect(deliveryOutcomes(events, positions, outcomes, recordings)).toEqual([
      { outcome: 'duplicate', redelivered: false },
      { outcome: 'duplicate', redelivered: false },
      { outcome: 'duplicate', redelivered: false },
      { outcome: 'applied', redelivered: true },
    ]);
  });

  it('leaves new events and rows recorded without a position (an import) as classified', () => {
    const recordings = new Map([[eventKey('acme', 'e1'), { topic: null, partition: null, offset: null, outcome: 'applied' }]]);
    const events = [v1, v2];
    const outcomes = classify(events, recordings, new Map());
    expect(deliveryOutcomes(events, [at('1'), at('2')], outcomes, recordings)).toEqual([
      { outcome: 'duplicate', redelivered: false },
      { outcome: 'applied', redelivered: false },
    ]);
  });
});
