import fc from 'fast-check';
import { CompressionTypes, type Message } from 'kafkajs';
import {
  chunkByBytes,
  DEAD_LETTER_HEADERS,
  deadLetterHeaders,
  deadLetterId,
  headerText,
  MAX_PROBLEMS_HEADER_BYTES,
  MAX_STUB_KEY_BYTES,
  problemsHeader,
  publishDeadLetters,
  refusedRecordError,
  sha256Hex,
  stubLetter,
  type DeadLetterInput,
} from './dead-letter';
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

describe('publishing dead letters', () => {
  const problem = { code: 'PAYLOAD_TOO_LARGE' as const, path: '', message: 'too large' };
  const item = (offset: number, bytes: number): DeadLetterInput => ({
    message: {
      topic: 'phoenix.events',
      partition: 5,
      offset: String(offset),
      receivedAt: '2026-01-05T10:00:00.000Z',
      key: Buffer.from(`k${offset}`),
      value: Buffer.alloc(bytes, 'x'),
      headers: { traceparent: 'tp' },
    },
    problems: [problem],
  });
  /** A broker refusing records over `limit` bytes for good (as kafkajs reports it), and transiently failing `flaky` times. */
  function broker(limit: number, flaky = 0) {
    const accepted: Message[] = [];
    const compressions: CompressionTypes[] = [];
    let failures = flaky;
    const send = async (messages: Message[], compression: CompressionTypes) => {
      compressions.push(compression);
      if (failures-- > 0) throw Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError', retriable: true });
      const size = messages.reduce((n, m) => n + (m.value ? (m.value as Buffer).length : 0) + 500, 0);
      if (size > limit)
        throw Object.assign(new Error('The request included a message larger than the max message size'), {
          name: 'KafkaJSProtocolError',
          type: 'MESSAGE_TOO_LARGE',
          retriable: false,
        });
      accepted.push(...messages);
    };
    return { send, accepted, compressions };
  }

  it('sends every letter compressed, in one send when they fit', async () => {
    const b = broker(10_000);
    expect(await publishDeadLetters([item(1, 100), item(2, 100)], b.send)).toEqual({ inline: 2, stubs: [], unpublished: [] });
    expect(b.compressions).toEqual([CompressionTypes.GZIP]);
    expect(b.accepted.map((m) => headerText(m.headers, DEAD_LETTER_HEADERS.payload))).toEqual(['inline', 'inline']);
  });

  it('publishes a letter the topic refuses for good as a stub with reason, position and digest, and the others in full', async () => {
    const b = broker(10_000);
    const big = item(2, 50_000);
    const result = await publishDeadLetters([item(1, 100), big, item(3, 100)], b.send);
    expect(result.inline).toBe(2);
    expect(result.stubs).toEqual([{ error: 'MESSAGE_TOO_LARGE', source: big.message }]);
    const stub = b.accepted.find((m) => headerText(m.headers, DEAD_LETTER_HEADERS.payload) === 'warehouse') as Message;
    expect(stub.value).toBeNull();
    expect(String(stub.key)).toBe('k2');
    expect(headerText(stub.headers, DEAD_LETTER_HEADERS.reason)).toBe('PAYLOAD_TOO_LARGE');
    expect(headerText(stub.headers, DEAD_LETTER_HEADERS.sourcePartition)).toBe('5');
    expect(headerText(stub.headers, DEAD_LETTER_HEADERS.sourceOffset)).toBe('2');
    expect(headerText(stub.headers, DEAD_LETTER_HEADERS.sha256)).toBe(sha256Hex(big.message.value));
    expect(headerText(stub.headers, DEAD_LETTER_HEADERS.originalBytes)).toBe('50000');
    expect(headerText(stub.headers, 'traceparent')).toBeUndefined();
    expect(b.accepted.map((m) => String(m.key)).sort()).toEqual(['k1', 'k2', 'k3']);
  });

  it('splits a send that is too large only together: every letter still goes out whole', async () => {
    const b = broker(10_000);
    const result = await publishDeadLetters([item(1, 4_000), item(2, 4_000), item(3, 4_000)], b.send);
    expect(result).toEqual({ inline: 3, stubs: [], unpublished: [] });
    expect(b.accepted.map((m) => headerText(m.headers, DEAD_LETTER_HEADERS.payload))).toEqual(['inline', 'inline', 'inline']);
  });

  it('keeps a stub small: the key only up to MAX_STUB_KEY_BYTES, no original headers', () => {
    const withKey = (bytes: number) => ({ ...item(1, 10), message: { ...item(1, 10).message, key: Buffer.alloc(bytes, 'k') } });
    expect(stubLetter(withKey(MAX_STUB_KEY_BYTES)).key).toHaveLength(MAX_STUB_KEY_BYTES);
    expect(stubLetter(withKey(MAX_STUB_KEY_BYTES + 1)).key).toBeNull();
    const many = { ...item(1, 10), message: { ...item(1, 10).message, headers: { big: Buffer.alloc(100_000) } } };
    expect(stubLetter(many).headers?.['big']).toBeUndefined();
  });

  it('reports a letter unpublished when even its stub is refused, instead of trying forever', async () => {
    const b = broker(100);
    const result = await publishDeadLetters([item(1, 5_000)], b.send);
    expect(result).toEqual({ inline: 0, stubs: [], unpublished: [{ error: 'MESSAGE_TOO_LARGE', source: item(1, 5_000).message }] });
    expect(b.accepted).toHaveLength(0);
  });

  it('throws a transient error for the caller to retry (no stub for a broker that is only away)', async () => {
    const b = broker(10_000, 1);
    await expect(publishDeadLetters([item(1, 100)], b.send)).rejects.toThrow('Connection error');
    expect(b.accepted).toHaveLength(0);
  });

  it('recognises refusals for good, also wrapped by kafkajs retries, and nothing else', () => {
    const tooLarge = Object.assign(new Error('x'), { type: 'RECORD_LIST_TOO_LARGE' });
    expect(refusedRecordError(tooLarge)).toBe('RECORD_LIST_TOO_LARGE');
    expect(refusedRecordError(Object.assign(new Error('retries'), { originalError: { type: 'INVALID_RECORD' } }))).toBe('INVALID_RECORD');
    expect(refusedRecordError(Object.assign(new Error('x'), { type: 'NOT_LEADER_FOR_PARTITION' }))).toBeUndefined();
    expect(refusedRecordError(new Error('socket hang up'))).toBeUndefined();
    expect(refusedRecordError(undefined)).toBeUndefined();
  });

  it('bounds the problems header: the first problems that fit, at least the first one, cut', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      code: 'INVALID_FIELD' as const,
      path: `/data/f${i}`,
      message: 'must be a string',
    }));
    const header = problemsHeader(many);
    expect(Buffer.byteLength(header)).toBeLessThanOrEqual(MAX_PROBLEMS_HEADER_BYTES);
    expect((JSON.parse(header) as unknown[]).length).toBeGreaterThan(10);
    const huge = [{ code: 'INVALID_FIELD' as const, path: '/p'.repeat(5000), message: 'm'.repeat(10_000) }];
    expect(Buffer.byteLength(problemsHeader(huge))).toBeLessThanOrEqual(MAX_PROBLEMS_HEADER_BYTES);
    expect(JSON.parse(problemsHeader(huge))[0].code).toBe('INVALID_FIELD');
  });

  it('groups dead_letters rows by bytes; a row larger than the bound goes alone', () => {
    expect(chunkByBytes([1, 2, 3, 10, 1], 5, (n) => n)).toEqual([[1, 2], [3], [10], [1]]);
    expect(chunkByBytes([], 5, (n: number) => n)).toEqual([]);
  });
});
