import { deadLetterLimitProblems } from './preflight';

describe('dead-letter topic limits', () => {
  it('reports each source topic that accepts larger records than the dead-letter topic', () => {
    const topics = {
      'phoenix.events': { partitions: 6, maxMessageBytes: 4_000_000 },
      'phoenix.backfill': { partitions: 6, maxMessageBytes: 1_048_588 },
      'phoenix.deadletter': { partitions: 3, maxMessageBytes: 1_048_588 },
    };
    expect(deadLetterLimitProblems(topics, ['phoenix.events', 'phoenix.backfill'], 'phoenix.deadletter')).toEqual([
      { topic: 'phoenix.events', maxMessageBytes: 4_000_000, deadLetterTopic: 'phoenix.deadletter', deadLetterMaxMessageBytes: 1_048_588 },
    ]);
  });

  it('reports nothing when the limits are unknown or the topics missing', () => {
    expect(deadLetterLimitProblems({ a: { partitions: 1, maxMessageBytes: 9 }, d: 'missing' }, ['a'], 'd')).toEqual([]);
    expect(deadLetterLimitProblems({ a: 'missing', d: { partitions: 1, maxMessageBytes: 1 } }, ['a'], 'd')).toEqual([]);
  });
});
