import fc from 'fast-check';
import { createCloudEvent, isRealDate, isRealTimestamp, validateEvent, formatProblem, type ValidationProblem } from './index';

const booking = {
  id: 'dbk_1',
  deskId: 'dsk_1',
  memberId: 'mbr_1',
  date: '2026-01-07',
  startTime: '2026-01-07T08:00:00Z',
  endTime: '2026-01-07T16:00:00Z',
  status: 'booked',
};

function envelope(overrides: Record<string, unknown> = {}, data: Record<string, unknown> = booking): Record<string, unknown> {
  return {
    ...createCloudEvent({
      id: 'evt-1',
      tenantId: 'acme',
      entityType: 'desk_booking',
      action: 'created',
      time: '2026-01-06T10:00:00Z',
      data: data as never,
      seq: 0,
    }),
    ...overrides,
  };
}

function problemsOf(input: unknown, maxBytes?: number): ValidationProblem[] {
  const result = validateEvent(input, maxBytes === undefined ? {} : { maxBytes });
  if (result.ok) throw new Error('expected the event to be rejected');
  return [...result.problems];
}

const codes = (problems: ValidationProblem[]) => problems.map((p) => `${p.code} ${p.path}`);

describe('validateEvent', () => {
  it('normalises the event: entity type, action, tenant, time in ms, seq and tombstone flag', () => {
    const result = validateEvent(JSON.stringify(envelope({ time: '2026-01-06T11:00:00.123+01:00' })));
    expect(result.ok && result.event).toMatchObject({
      id: 'evt-1',
      entityType: 'desk_booking',
      action: 'created',
      tenantId: 'acme',
      entityId: 'dbk_1',
      time: '2026-01-06T10:00:00.123Z',
      timeMs: Date.parse('2026-01-06T10:00:00.123Z'),
      seq: 0,
      tombstone: false,
    });
  });

  it('accepts a tombstone that carries only the id', () => {
    const tombstone = createCloudEvent({
      id: 'evt-2',
      tenantId: 'acme',
      entityType: 'desk',
      action: 'deleted',
      time: '2026-01-06T10:00:00Z',
      data: { id: 'dsk_1' },
    });
    const result = validateEvent(tombstone);
    expect(result.ok && result.event.tombstone).toBe(true);
    expect(result.ok && result.event.data).toEqual({ id: 'dsk_1' });
  });

  it('rejects an oversized message without parsing it', () => {
    const text = JSON.stringify(envelope({ padding: 'x'.repeat(2000) }));
    expect(codes(problemsOf(text, 1000))).toEqual(['PAYLOAD_TOO_LARGE ']);
    expect(problemsOf(Buffer.from(text), 1000)[0]?.message).toContain('limit is 1000');
    // One byte under the limit is fine.
    expect(validateEvent(text, { maxBytes: Buffer.byteLength(text) }).ok).toBe(true);
  });

  it('reports malformed JSON, invalid UTF-8 and non-objects', () => {
    expect(codes(problemsOf('{"id": '))).toEqual(['MALFORMED_JSON ']);
    expect(codes(problemsOf(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])))).toEqual(['MALFORMED_JSON ']);
    expect(codes(problemsOf('[1,2]'))).toEqual(['NOT_AN_OBJECT ']);
    expect(codes(problemsOf('null'))).toEqual(['NOT_AN_OBJECT ']);
  });

  it('reports a missing tenant with its own code', () => {
    const { tenantid: _omit, ...withoutTenant } = envelope();
    expect(codes(problemsOf(withoutTenant))).toEqual(['MISSING_TENANT /tenantid']);
    expect(codes(problemsOf(envelope({ tenantid: 'Not A Tenant!' })))).toEqual(['INVALID_FIELD /tenantid']);
  });

  it('bounds tenant ids at 63 characters and event ids at 128, as the patterns with {0,62} and {1,128} did', () => {
    const all = (input: unknown) => {
      const result = validateEvent(input);
      return result.ok ? [] : codes([...result.problems]);
    };
    const tenant = (n: number) => 'a' + '-'.repeat(n - 1);
    expect(all(envelope({ tenantid: tenant(63) }))).toEqual([]);
    expect(all(envelope({ tenantid: tenant(64) }))).toEqual(['INVALID_FIELD /tenantid']);
    expect(all(envelope({ tenantid: '-abc' }))).toEqual(['INVALID_FIELD /tenantid']);
    expect(all(envelope({ id: '!'.repeat(128) }))).toEqual([]);
    expect(all(envelope({ id: '~'.repeat(129) }))).toEqual(['INVALID_FIELD /id']);
    expect(all(envelope({ id: 'with space' }))).toEqual(['INVALID_FIELD /id']);
    // Against the former patterns, on strings of every length around the bounds.
    const char = fc.constantFrom(...'az09_-A! ~\u00e9\t'.split(''));
    fc.assert(
      fc.property(fc.array(char, { minLength: 0, maxLength: 135 }), (chars) => {
        const value = chars.join('');
        const tenantOk = /^[a-z0-9][a-z0-9_-]{0,62}$/.test(value);
        const idOk = /^[\x21-\x7E]{1,128}$/.test(value);
        expect(all(envelope({ tenantid: value })).includes('INVALID_FIELD /tenantid')).toBe(value !== '' && !tenantOk);
        expect(all(envelope({ id: value })).includes('INVALID_FIELD /id')).toBe(value !== '' && !idOk);
      }),
      { numRuns: 3000 },
    );
  });

  it('reports an unknown event type, including lifecycle actions on entities without a lifecycle', () => {
    expect(codes(problemsOf(envelope({ type: 'phoenix.desk_booking.archived' })))).toEqual(['UNKNOWN_EVENT_TYPE /type']);
    expect(codes(problemsOf(envelope({ type: 'phoenix.desk.checked_in' })))).toEqual(['UNKNOWN_EVENT_TYPE /type']);
  });

  it('returns every problem at once, each with a code and a JSON pointer', () => {
    const { deskId: _desk, ...noDesk } = booking;
    const input = envelope(
      { specversion: '0.3', source: '', time: 'yesterday', seq: -1, tenantid: undefined },
      { ...noDesk, endTime: '2026-01-07T07:00:00Z', status: 'lost' },
    );
    expect(codes(problemsOf(input)).sort()).toEqual(
      [
        'UNSUPPORTED_SPEC_VERSION /specversion',
        'MISSING_FIELD /source',
        'MISSING_TENANT /tenantid',
        'INVALID_FIELD /time',
        'INVALID_FIELD /seq',
        'MISSING_FIELD /data/deskId',
        'INVALID_FIELD /data/endTime',
        'INVALID_FIELD /data/status',
      ].sort(),
    );
  });

  it('checks cross-field rules: end after start, entityid equals data.id, lifecycle status matches the action', () => {
    expect(codes(problemsOf(envelope({}, { ...booking, endTime: '2026-01-07T07:00:00Z' })))).toEqual(['INVALID_FIELD /data/endTime']);
    expect(codes(problemsOf(envelope({ entityid: 'dbk_2' })))).toEqual(['ENTITY_ID_MISMATCH /data/id']);
    expect(codes(problemsOf(envelope({ type: 'phoenix.desk_booking.checked_in' })))).toEqual(['INVALID_FIELD /data/status']);
  });

  it('reports cross-field rules together with field problems, once per field', () => {
    const input = envelope(
      { type: 'phoenix.desk_booking.cancelled' },
      { ...booking, deskId: '', endTime: '2026-01-07T07:00:00Z', status: 'checked_in' },
    );
    expect(codes(problemsOf(input)).sort()).toEqual([
      'INVALID_FIELD /data/deskId',
      'INVALID_FIELD /data/endTime',
      'INVALID_FIELD /data/status',
    ]);
  });

  it('rejects timestamps and dates that do not exist or that BigQuery cannot store', () => {
    for (const time of [
      '2026-02-30T10:00:00Z',
      '2026-01-06T24:00:00Z',
      '0000-01-01T00:00:00Z',
      '2026-01-06T10:00:00+25:00',
      '2026-01-06 10:00:00Z',
    ]) {
      expect(codes(problemsOf(envelope({ time })))).toEqual(['INVALID_FIELD /time']);
    }
    expect(codes(problemsOf(envelope({}, { ...booking, date: '2026-02-29' })))).toEqual(['INVALID_FIELD /data/date']);
    expect(
      validateEvent(envelope({}, { ...booking, date: '2028-02-29', startTime: '2028-02-29T08:00:00Z', endTime: '2028-02-29T09:00:00Z' }))
        .ok,
    ).toBe(true);
  });

  // Canonical timestamps (what toISOString prints) are read without Date.parse, and two of
  // them are ordered as strings: both must agree with Date.parse.
  const instant = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });
  const iso = (d: Date) => d.toISOString();
  const offset = (d: Date) => iso(d).replace('.000Z', 'Z').replace('Z', '+00:00');
  const text = fc.oneof(instant.map(iso), instant.map(offset), fc.constantFrom('2026-01-05T09:00:00.1234Z', '2026-01-05t09:00:00.000Z'));

  it('reads the event time in milliseconds as Date.parse does', () => {
    fc.assert(
      fc.property(text, (time) => {
        const result = validateEvent(envelope({ time }));
        expect(result.ok && result.event.timeMs).toBe(Date.parse(time));
      }),
      { numRuns: 2000, seed: 2026 },
    );
  });

  it('requires endTime after startTime exactly when Date.parse says so', () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.constant('2026-01-07T08:00:00.000Z')), text, (startTime, endTime) => {
        const ok = validateEvent(envelope({}, { ...booking, startTime, endTime })).ok;
        expect(ok).toBe(Date.parse(endTime) > Date.parse(startTime));
      }),
      { numRuns: 2000, seed: 2026 },
    );
    const same = '2026-01-07T08:00:00.000Z';
    expect(validateEvent(envelope({}, { ...booking, startTime: same, endTime: same })).ok).toBe(false);
  });

  it('tells invalid UTF-8 from a real U+FFFD in the text', () => {
    const withReplacement = JSON.stringify(envelope({ source: '/huddle\uFFFD' }));
    const result = validateEvent(Buffer.from(withReplacement));
    expect(result.ok && result.text).toBe(withReplacement);
    const bytes = Buffer.from(withReplacement);
    const bad = Buffer.concat([bytes.subarray(0, 10), Buffer.from([0xed, 0xa0, 0x80]), bytes.subarray(10)]);
    expect(codes(problemsOf(bad))).toEqual(['MALFORMED_JSON ']);
  });

  it('accepts only printable ASCII event ids, so JavaScript and BigQuery order ties alike', () => {
    expect(codes(problemsOf(envelope({ id: 'évènement-1' })))).toEqual(['INVALID_FIELD /id']);
    expect(codes(problemsOf(envelope({ id: 'has space' })))).toEqual(['INVALID_FIELD /id']);
    expect(codes(problemsOf(envelope({ id: 'x'.repeat(129) })))).toEqual(['INVALID_FIELD /id']);
  });

  it('never quotes malformed input back, which may hold personal data', () => {
    const [problem] = problemsOf('{"email": jane.doe@secret.example}');
    expect(problem?.code).toBe('MALFORMED_JSON');
    expect(problem?.message).not.toContain('jane');
    expect(problem?.message).toMatch(/invalid JSON/);
  });

  it('names the problem without echoing the value, so personal data never reaches logs', () => {
    const member = { id: 'mbr_1', teamId: null, email: 'jane.doe-secret@example', displayName: 'Jane Doe', role: 'employee', active: true };
    const event = createCloudEvent({
      id: 'e',
      tenantId: 'acme',
      entityType: 'member',
      action: 'created',
      time: '2026-01-06T10:00:00Z',
      data: member as never,
    });
    const problems = problemsOf(event);
    expect(codes(problems)).toEqual(['INVALID_FIELD /data/email']);
    expect(JSON.stringify(problems)).not.toContain('jane.doe-secret');
  });

  it('keeps what it could read of a rejected event, for filing the dead letter', () => {
    const result = validateEvent(envelope({ type: 'phoenix.nope.created' }));
    expect(!result.ok && result.partial).toEqual({ eventId: 'evt-1', tenantId: 'acme', entityId: 'dbk_1', type: 'phoenix.nope.created' });
  });

  it('formats a problem as one line', () => {
    expect(formatProblem({ code: 'INVALID_FIELD', path: '/data/deskId', message: 'must not be empty' })).toBe(
      'INVALID_FIELD /data/deskId: must not be empty',
    );
  });
});

describe('isRealTimestamp and isRealDate', () => {
  it.each([
    ['2026-01-05T09:00:00Z', true],
    ['2026-01-05T09:00:00.123Z', true],
    ['2026-01-05T09:00:00.123456789+05:30', true],
    ['2026-01-05t09:00:00z', true],
    ['2024-02-29T00:00:00-08:00', true],
    ['2000-02-29T23:59:59Z', true],
    ['1900-02-29T00:00:00Z', false],
    ['2026-02-29T00:00:00Z', false],
    ['2026-04-31T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false],
    ['2026-01-05T24:00:00Z', false],
    ['2026-01-05T09:60:00Z', false],
    ['2026-01-05T09:00:60Z', false],
    ['2026-01-05T09:00:00', false],
    ['2026-01-05T09:00:00.Z', false],
    ['2026-01-05T09:00:00.1234567890Z', false],
    ['2026-01-05T09:00:00+5:30', false],
    ['2026-01-05T09:00:00+24:00', false],
    ['2026-01-05T09:00:00Zjunk', false],
    ['1899-12-31T23:59:59Z', false],
    // The warehouse's last instant is 9999-12-31T23:59:59.999999Z, in UTC.
    ['9999-12-31T23:59:59.999999Z', true],
    ['9999-12-31T23:59:59.999999999Z', false],
    ['9999-12-31T23:59:59.9999991Z', false],
    ['9999-12-31T23:59:59.999999000Z', true],
    ['9999-12-31T23:00:00-05:00', false],
    ['9999-12-31T23:00:00+05:00', true],
    ['0000-01-01T00:00:00Z', false],
    ['2026-1-05T09:00:00Z', false],
    ['', false],
  ])('%s → %s', (value, expected) => {
    expect(isRealTimestamp(value)).toBe(expected);
  });

  it('checks calendar dates the same way', () => {
    expect(['2026-01-05', '2028-02-29'].map(isRealDate)).toEqual([true, true]);
    expect(['2026-02-29', '2026-00-10', '2026-1-5', '1899-01-01', '2026-01-05T00'].map(isRealDate)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
