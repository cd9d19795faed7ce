/**
 * The query layer's one rule: values travel only as named parameters. SQL text is
 * built from template literals whose only interpolations are identifiers (tables,
 * columns) checked against a strict pattern; interpolating anything else throws.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,299}$/;
// GCP project ids: 6–30 chars of lowercase letters, digits and hyphens (plus optional domain prefix).
const PROJECT_ID = /^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PARAM_REF = /@([A-Za-z_][A-Za-z0-9_]*)/g;

const TRUSTED = Symbol('trusted SQL');

/**
 * A piece of SQL that is safe to splice: an identifier, or a fragment built from
 * identifiers. Only this module can make one (the constructor needs a module-private
 * token), so `new SqlFragment(userInput)` is impossible outside it.
 */
export class SqlFragment {
  private constructor(
    token: symbol,
    readonly text: string,
  ) {
    if (token !== TRUSTED) throw new TypeError('SqlFragment: use ident, tableRef, join or sql`…`');
  }
  /** @internal */
  static trusted(text: string): SqlFragment {
    return new SqlFragment(TRUSTED, text);
  }
  toString(): string {
    return this.text;
  }
}

/**
 * A SQL keyword or type name from a fixed list the caller controls (never input),
 * e.g. a column type from the schema: `keyword('ARRAY<STRING>', ALLOWED_TYPES)`.
 */
export function keyword(text: string, allowed: readonly string[]): SqlFragment {
  if (!allowed.includes(text)) throw new TypeError(`not an allowed SQL keyword: ${JSON.stringify(text)}`);
  return SqlFragment.trusted(text);
}

export function ident(name: string): SqlFragment {
  if (!IDENTIFIER.test(name)) throw new TypeError(`not a valid BigQuery identifier: ${JSON.stringify(name)}`);
  return SqlFragment.trusted(`\`${name}\``);
}

/** A fully qualified table reference, `project.dataset.table`. */
export function tableRef(projectId: string, datasetId: string, table: string): SqlFragment {
  if (!PROJECT_ID.test(projectId)) throw new TypeError(`not a valid project id: ${JSON.stringify(projectId)}`);
  if (!IDENTIFIER.test(datasetId)) throw new TypeError(`not a valid dataset id: ${JSON.stringify(datasetId)}`);
  if (!IDENTIFIER.test(table)) throw new TypeError(`not a valid table name: ${JSON.stringify(table)}`);
  return SqlFragment.trusted(`\`${projectId}.${datasetId}.${table}\``);
}

/**
 * A reference to a named parameter, `@name`, for statements whose parameter names are
 * generated (one per filter). The name is an identifier, never a value.
 */
export function paramRef(name: string): SqlFragment {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`not a valid parameter name: ${JSON.stringify(name)}`);
  return SqlFragment.trusted(`@${name}`);
}

/** Joins fragments, e.g. a column list. */
export function join(parts: readonly SqlFragment[], separator = ', '): SqlFragment {
  return SqlFragment.trusted(parts.map((p) => p.text).join(separator));
}

/**
 * Tagged template for SQL text. Only `SqlFragment`s may be interpolated; values must
 * be written as `@name` and passed as parameters.
 *
 * @example sql`SELECT * FROM ${table} WHERE tenant_id = @tenant AND id IN UNNEST(@ids)`
 */
export function sql(strings: TemplateStringsArray, ...parts: SqlFragment[]): SqlFragment {
  // The raw strings: cooked ones would turn r'\d+' into r'd+'.
  let text = strings.raw[0] ?? '';
  parts.forEach((part, i) => {
    if (!(part instanceof SqlFragment)) {
      throw new TypeError('sql`…`: only identifiers and SQL fragments may be interpolated; pass values as @named parameters');
    }
    text += part.text + (strings.raw[i + 1] ?? '');
  });
  return SqlFragment.trusted(text);
}

export type ScalarType = 'STRING' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BOOL' | 'TIMESTAMP' | 'DATE' | 'JSON' | 'BYTES';
export type ParamType =
  ScalarType | [ScalarType] | { [field: string]: ScalarType | [ScalarType] } | [{ [field: string]: ScalarType | [ScalarType] }];

/** A typed parameter value. Types are always sent, so NULLs and empty arrays work. */
export interface Param {
  readonly type: ParamType;
  readonly value: unknown;
}

const scalar =
  <T>(type: ScalarType, convert: (v: T) => unknown = (v) => v) =>
  (value: T | null): Param => ({ type, value: value === null ? null : convert(value) });

const toTimestamp = (v: Date | string | number) => (v instanceof Date ? v : new Date(v)).toISOString();

/** Parameter constructors: `param.string(tenantId)`, `param.array('STRING', ids)` … */
export const param = {
  string: scalar<string>('STRING'),
  int: scalar<number | bigint>('INT64', (v) => (typeof v === 'bigint' ? v.toString() : v)),
  float: scalar<number>('FLOAT64'),
  bool: scalar<boolean>('BOOL'),
  timestamp: scalar<Date | string | number>('TIMESTAMP', toTimestamp),
  date: scalar<string>('DATE'),
  json: scalar<unknown>('JSON', (v) => JSON.stringify(v)),
  bytes: scalar<Uint8Array>('BYTES', (v) => Buffer.from(v)),
  array: (type: ScalarType, values: readonly unknown[]): Param => ({ type: [type], value: [...values] }),
  /** An ARRAY<STRUCT<…>>, e.g. the rows of a MERGE source: `FROM UNNEST(@rows) AS r`. */
  structArray: (fields: { [field: string]: ScalarType | [ScalarType] }, rows: readonly Record<string, unknown>[]): Param => ({
    type: [fields],
    value: rows.map((row) => Object.fromEntries(Object.keys(fields).map((f) => [f, row[f] ?? null]))),
  }),
};

export interface Statement {
  readonly sql: SqlFragment;
  readonly params: Readonly<Record<string, Param>>;
}

/**
 * Checks that every `@name` in the text has a parameter and every parameter is used,
 * so a typo fails here with a clear message rather than as a BigQuery error.
 */
export function checkStatement(statement: Statement): void {
  const used = new Set([...statement.sql.text.matchAll(PARAM_REF)].map((m) => m[1] as string));
  const given = new Set(Object.keys(statement.params));
  const missing = [...used].filter((name) => !given.has(name));
  const unused = [...given].filter((name) => !used.has(name));
  if (missing.length > 0 || unused.length > 0) {
    const parts = [
      missing.length > 0 ? `no value for ${missing.map((n) => `@${n}`).join(', ')}` : '',
      unused.length > 0 ? `unused parameter(s) ${unused.join(', ')}` : '',
    ].filter(Boolean);
    throw new TypeError(`query parameters do not match the SQL: ${parts.join('; ')}`);
  }
}
