import fc from 'fast-check';
import { DEAD_LETTER_HEADERS, deadLetterHeaders, deadLetterId, headerText } from './dead-letter';
import { traceIdOf } from './writer';

describe('dead-letter headers', () => {
  const source = { topic: 'phoenix.events', partition: 2, offset: '41', receivedAt: '2026-01-05T10:00:00.000Z' };
  const problems = [
    { code: 'MISSING_TENANT' as const, path: '/tenantid', message: 'every event needs the tenantid extension attribute' },
    { code: 'INVALID_FIELD' as const, path: '/time', message: 'must be an RFC 3339 timestamp' },
  ];

  it('keeps the original headers and adds the reason, every problem and the source position', () => {
    const headers = deadLetterHeaders({ traceparent: Buffer.from('00-abc-def-01') }, problems, source);
    expect(headerText(headers, 'traceparent')).toBe('00-abc-def-01');
    expect(headerText(headers, DEAD_LETTER_HEADERS.reason)).toBe('MISSING_TENANT');
    expect(JSON.parse(headerText(headers, DEAD_LETTER_HEADERS.problems) ?? '')).toEqual(problems);
    expect(headerText(headers, DEAD_LETTER_HEADERS.sourcePartition)).toBe('2');
    expect(headerText(headers, DEAD_LETTER_HEADERS.sourceOffset)).toBe('41');
  });

  it('replaces the dead-letter headers of an earlier attempt instead of piling them up', () => {
    const first = deadLetterHeaders({}, problems, source);
    const again = deadLetterHeaders({ ...first, [DEAD_LETTER_HEADERS.redriveCount]: '2' }, problems.slice(1), { ...source, offset: '99' });
    expect(headerText(again, DEAD_LETTER_HEADERS.reason)).toBe('INVALID_FIELD');
    expect(headerText(again, DEAD_LETTER_HEADERS.sourceOffset)).toBe('99');
    expect(headerText(again, DEAD_LETTER_HEADERS.redriveCount)).toBe('2');
  });

  it('identifies a dead letter by its Kafka position', () => {
    expect(deadLetterId('phoenix.events', 2, '41')).toBe('phoenix.events/2/41');
  });
});

describe('traceIdOf', () => {
  it('reads the trace id of a well-formed traceparent and nothing else', () => {
    expect(traceIdOf('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });

  // The previous implementation (slices, one concatenation, one regex), kept as the reference.
  const reference = (traceparent: string | undefined): string | null => {
    if (traceparent?.length !== 55 || traceparent[2] !== '-' || traceparent[35] !== '-' || traceparent[52] !== '-') return null;
    const traceId = traceparent.slice(3, 35);
    return traceId !== '0'.repeat(32) &&
      /^[0-9a-f]+$/.test(traceparent.slice(0, 2) + traceId + traceparent.slice(36, 52) + traceparent.slice(53))
      ? traceId
      : null;
  };
  const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('agrees with the reference on every one-character change of a valid header', () => {
    const replacements = ['-', '0', '9', 'a', 'f', 'g', 'A', 'F', ' ', '\u00e9', '\u0130', '\uFFFD', '\u0000', '/', ':', '`', '{'];
    for (let i = 0; i < valid.length; i++) {
      for (const r of replacements) {
        const changed = valid.slice(0, i) + r + valid.slice(i + 1);
        expect([changed, traceIdOf(changed)]).toEqual([changed, reference(changed)]);
      }
    }
  });

  it('agrees with the reference on arbitrary strings around 55 characters', () => {
    const char = fc.constantFrom(...'0123456789abcdefABCDEFg-x \u00e9\uFFFD'.split(''));
    fc.assert(
      fc.property(fc.array(char, { minLength: 53, maxLength: 57 }), (chars) => {
        const header = chars.join('');
        expect(traceIdOf(header)).toBe(reference(header));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 60 }), (header) => {
        expect(traceIdOf(header)).toBe(reference(header));
      }),
      { numRuns: 2000 },
    );
  });
});
