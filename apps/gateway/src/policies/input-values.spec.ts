import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { checkInputValues, dateTimeProblem } from './input-values';

const schema = buildSchema(`
  scalar DateTime
  input Range { from: DateTime to: DateTime }
  input Filter { range: Range days: [DateTime!] }
  type Query { bookings(filter: Filter, since: DateTime): [String] }
`);
const check = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const error = checkInputValues(schema, document, operation, variables);
  return error && { message: error.message, extensions: error.extensions };
};

describe('DateTime inputs', () => {
  it('accepts RFC 3339 timestamps up to the last microsecond a warehouse TIMESTAMP holds', () => {
    for (const ok of [
      '2026-01-05T09:00:00Z',
      '9999-12-31T23:59:59.999999Z',
      '9999-12-31T23:59:59.999999000Z',
      '9999-12-31T22:00:00-01:00',
      '1900-01-01T00:00:00+05:00',
    ]) {
      expect([ok, dateTimeProblem(ok)]).toEqual([ok, null]);
    }
  });

  it('refuses instants past it once in UTC and rounded up to the microsecond, and what is not a timestamp', () => {
    for (const bad of ['9999-12-31T23:59:59.999999999Z', '9999-12-31T23:59:59.9999991Z', '9999-12-31T23:00:00-05:00']) {
      expect([bad, dateTimeProblem(bad)]).toEqual([bad, expect.stringMatching(/no later than 9999-12-31T23:59:59.999999Z/)]);
    }
    expect(dateTimeProblem('2026-01-07')).toMatch(/must be an RFC 3339 timestamp/);
    expect(dateTimeProblem(20260107)).toMatch(/must be an RFC 3339 timestamp/);
  });

  it('checks variables inside input objects and lists, naming where the bad value is', () => {
    const query = 'query Q($f: Filter) { bookings(filter: $f) }';
    expect(check(query, { f: { range: { from: '2026-01-01T00:00:00Z', to: '9999-12-31T23:59:59.999999999Z' } } })).toEqual({
      message: expect.stringMatching(/^\$f\.range\.to: DateTime must be no later than/),
      extensions: { code: 'BAD_USER_INPUT', argument: '$f.range.to', http: { status: 400 } },
    });
    expect(check(query, { f: { days: ['2026-01-01T00:00:00Z', '9999-12-31T23:00:00-05:00'] } })?.extensions['argument']).toBe('$f.days[1]');
    expect(check('query Q($s: DateTime) { bookings(since: $s) }', { s: '2026-01-01T00:00:00Z' })).toBeNull();
  });

  it('checks DateTime literals in the document too', () => {
    expect(check('{ bookings(filter: { range: { from: "9999-12-31T23:59:59.999999999Z" } }) }')?.extensions['code']).toBe('BAD_USER_INPUT');
    expect(check('{ bookings(since: "2026-01-01T00:00:00Z") }')).toBeNull();
  });
});
