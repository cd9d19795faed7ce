import { createOffsetAccounting } from './accounting';

describe('offset accounting', () => {
  const written = (offset: number, outcome: 'applied' | 'duplicate' | 'dead_lettered' = 'applied') => ({
    offset: String(offset),
    outcome,
    labels: { tenant: 't', entity_type: 'desk' },
  });

  it('counts each offset once, at its commit, under the outcome of its first write', () => {
    const a = createOffsetAccounting();
    a.assigned({ ev: [0] });
    for (const o of [0, 1, 2]) expect(a.written('ev', 0, written(o, o === 2 ? 'dead_lettered' : 'applied'))).toBe('first');
    expect(a.reconciliation()['ev/0']).toMatchObject({ consumed: 0, uncommitted: 3 });
    // The commit failed (broker outage); the batch comes again and its second write finds it recorded.
    for (const o of [0, 1, 2]) expect(a.written('ev', 0, written(o, 'duplicate'))).toBe('redelivered');
    expect(a.seen('ev', 0, '2')).toBe(true);
    expect(a.committed('ev', 0, '3').map((m) => m.outcome)).toEqual(['applied', 'applied', 'dead_lettered']);
    expect(a.reconciliation()['ev/0']).toEqual({
      consumed: 3,
      applied: 2,
      duplicate: 0,
      superseded: 0,
      dead_lettered: 1,
      redelivered: 3,
      uncommitted: 0,
      balanced: true,
    });
    // Committed offsets delivered again (a commit whose answer was lost) are redeliveries too.
    expect(a.written('ev', 0, written(1))).toBe('redelivered');
    expect(a.committed('ev', 0, '3')).toEqual([]);
    expect(a.reconciliation()['ev/0']).toMatchObject({ consumed: 3, redelivered: 4 });
  });

  it('commits count only the offsets below the committed position', () => {
    const a = createOffsetAccounting();
    for (const o of [10, 11, 12]) a.written('ev', 1, written(o));
    expect(a.committed('ev', 1, '12')).toHaveLength(2);
    expect(a.reconciliation()['ev/1']).toMatchObject({ consumed: 2, uncommitted: 1 });
  });

  it('leaves the uncommitted offsets of a partition that moved away to its new owner', () => {
    const a = createOffsetAccounting();
    a.assigned({ ev: [0, 1] });
    a.written('ev', 0, written(0));
    a.written('ev', 1, written(0));
    a.assigned({ ev: [1] });
    expect(a.seen('ev', 0, '0')).toBe(false);
    expect(a.seen('ev', 1, '0')).toBe(true);
    // Got back later: the offset is this process's to count again, once.
    expect(a.written('ev', 0, written(0))).toBe('first');
    a.committed('ev', 0, '1');
    expect(a.reconciliation()['ev/0']).toMatchObject({ consumed: 1, redelivered: 0 });
  });

  it('counts an offset another process wrote but never committed once, under its recorded outcome, as redelivered', () => {
    const a = createOffsetAccounting();
    a.assigned({ ev: [0] });
    // The writer found these offsets recorded from these very positions (the killed owner's write).
    expect(a.written('ev', 0, { ...written(0, 'applied'), redelivered: true })).toBe('first');
    expect(a.written('ev', 0, { ...written(1, 'duplicate') })).toBe('first');
    expect(a.reconciliation()['ev/0']).toMatchObject({ consumed: 0, redelivered: 0 });
    a.committed('ev', 0, '2');
    expect(a.reconciliation()['ev/0']).toMatchObject({ consumed: 2, applied: 1, duplicate: 1, redelivered: 1, balanced: true });
  });
});
