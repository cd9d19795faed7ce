import { z } from 'zod';

/**
 * Entity fields declared once, as pairs: the zod schema (the only source of problem codes
 * and messages) and an accept-only check for the ingest's hot path that says "certainly
 * valid" without building zod's result objects. entities.ts builds the schemas from these
 * declarations and fast-path.ts the checks, so the two cannot drift apart;
 * fast-path.spec.ts checks the check never accepts what the schema rejects.
 */
export type Check = (value: unknown) => boolean;

export interface Field<S extends z.ZodType = z.ZodType> {
  readonly zod: S;
  readonly check: Check;
  /** Absent or null is accepted and left as it is (`nullable().optional()` in the schema). */
  readonly optional: boolean;
}

export type Fields = Readonly<Record<string, Field>>;

function field<S extends z.ZodType>(zod: S, check: Check): Field<S> {
  return { zod, check, optional: false };
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Entity ids are opaque strings chosen by the source system; bounded so they fit keys and logs. */
export const id = field(
  z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(ID_PATTERN, 'must start with a letter or digit and contain only letters, digits, . _ : -'),
  (v) => typeof v === 'string' && v.length >= 1 && v.length <= 128 && ID_PATTERN.test(v),
);

export function text(min: number, max: number) {
  return field(z.string().min(min).max(max), (v) => typeof v === 'string' && v.length >= min && v.length <= max);
}

export function pattern(regex: RegExp, message: string) {
  return field(z.string().regex(regex, message), (v) => typeof v === 'string' && regex.test(v));
}

export function int(min: number, max: number) {
  return field(z.int().min(min).max(max), (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max);
}

export const bool = field(z.boolean(), (v) => typeof v === 'boolean');

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const set = new Set<string>(values);
  return field(z.enum(values), (v) => typeof v === 'string' && set.has(v));
}

/** A string accepted by a predicate the schema and the check share (dates, time zones). */
export function refined(predicate: (value: string) => boolean, message: string) {
  return field(z.string().refine(predicate, { message }), (v) => typeof v === 'string' && predicate(v));
}

// z.email()'s own check is a match against zod's email pattern (no other pattern is passed).
const EMAIL = z.regexes.email;
export const email = field(z.email({ message: 'must be an email address' }), (v) => typeof v === 'string' && EMAIL.test(v));

export function list<S extends z.ZodType>(item: Field<S>, maxItems: number) {
  return field(z.array(item.zod).max(maxItems), (v) => Array.isArray(v) && v.length <= maxItems && v.every(item.check));
}

/** Null allowed, but the key must be present. */
export function nullable<S extends z.ZodType>(inner: Field<S>) {
  return field(inner.zod.nullable(), (v) => v === null || inner.check(v));
}

/** May be absent or null. */
export function optional<S extends z.ZodType>(inner: Field<S>): Field<z.ZodOptional<z.ZodNullable<S>>> {
  return { zod: inner.zod.nullable().optional(), check: inner.check, optional: true };
}

/** The zod object schema of a field declaration, with its inferred type. */
export function objectOf<F extends Fields>(fields: F): z.ZodObject<{ -readonly [K in keyof F]: F[K]['zod'] }> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, f] of Object.entries(fields)) shape[name] = f.zod;
  return z.object(shape) as z.ZodObject<{ -readonly [K in keyof F]: F[K]['zod'] }>;
}
