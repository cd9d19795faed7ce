import { checkStatement, ident, join, param, sql, tableRef, SqlFragment } from './sql';

describe('sql template', () => {
  const table = tableRef('phoenix-local', 'phoenix', 'desk_current');

  it('splices identifiers and fragments, quoted', () => {
    const cols = join([ident('tenant_id'), ident('id')]);
    expect(sql`SELECT ${cols} FROM ${table} WHERE id IN UNNEST(@ids)`.text).toBe(
      'SELECT `tenant_id`, `id` FROM `phoenix-local.phoenix.desk_current` WHERE id IN UNNEST(@ids)',
    );
  });

  it('refuses to interpolate a value', () => {
    const tenant = "acme' OR '1'='1";
    expect(() => sql`SELECT * FROM ${table} WHERE tenant_id = '${tenant as unknown as SqlFragment}'`).toThrow(
      /pass values as @named parameters/,
    );
  });

  it('keeps backslashes, e.g. in regular expressions', () => {
    expect(sql`SELECT REGEXP_CONTAINS(id, r'^\d+\.\w$')`.text).toBe("SELECT REGEXP_CONTAINS(id, r'^\\d+\\.\\w$')");
  });

  it('cannot be forged from a string', () => {
    const Forge = SqlFragment as unknown as new (token: symbol, text: string) => SqlFragment;
    expect(() => new Forge(Symbol('trusted SQL'), "'; DROP TABLE x; --")).toThrow(/use ident, tableRef, join or sql/);
  });

  it('refuses identifiers that could break out of quoting', () => {
    expect(() => ident('id`; DROP TABLE x; --')).toThrow(/not a valid BigQuery identifier/);
    expect(() => tableRef('phoenix-local', 'phoenix', 'a.b')).toThrow(/not a valid table name/);
    expect(() => tableRef('bad project', 'phoenix', 't')).toThrow(/not a valid project id/);
  });
});

describe('checkStatement', () => {
  it('passes when every @name has a parameter and every parameter is used', () => {
    expect(() => checkStatement({ sql: sql`SELECT @a, @b, @a`, params: { a: param.string('x'), b: param.int(1) } })).not.toThrow();
  });

  it('names missing and unused parameters', () => {
    expect(() =>
      checkStatement({ sql: sql`SELECT @tenant, @ids`, params: { tenant: param.string('x'), idz: param.array('STRING', []) } }),
    ).toThrow('query parameters do not match the SQL: no value for @ids; unused parameter(s) idz');
  });
});

describe('param', () => {
  it('always carries a type, so NULLs and empty arrays work', () => {
    expect(param.string(null)).toEqual({ type: 'STRING', value: null });
    expect(param.array('STRING', [])).toEqual({ type: ['STRING'], value: [] });
    expect(param.timestamp(new Date(0))).toEqual({ type: 'TIMESTAMP', value: '1970-01-01T00:00:00.000Z' });
    expect(param.int(10n)).toEqual({ type: 'INT64', value: '10' });
  });

  it('builds struct arrays with every declared field, missing ones as NULL', () => {
    expect(param.structArray({ id: 'STRING', n: 'INT64' }, [{ id: 'a', extra: 1 }])).toEqual({
      type: [{ id: 'STRING', n: 'INT64' }],
      value: [{ id: 'a', n: null }],
    });
  });
});
