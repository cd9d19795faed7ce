import { ENTITY_FIELDS, ENTITY_TYPES, type EntityType } from './entities';
import type { Check, Fields } from './fields';

/**
 * An accept-only check of the entity schemas for the ingest's hot path: the same output
 * as zod (known fields only, absent optionals left out) when the data is certainly valid,
 * or undefined when it is not — or when it cannot tell cheaply — in which case validation
 * runs zod, the only source of problem codes and messages. Both come from one
 * declaration (ENTITY_FIELDS); fast-path.spec.ts checks that this never accepts what zod
 * rejects, nor returns anything zod would not.
 */
interface FastField {
  name: string;
  check: Check;
  optional: boolean;
}

const FIELDS = {} as Record<EntityType, readonly FastField[]>;
for (const type of ENTITY_TYPES) {
  const fields: Fields = ENTITY_FIELDS[type];
  FIELDS[type] = Object.entries(fields).map(([name, field]) => ({ name, check: field.check, optional: field.optional }));
}

/**
 * The parsed entity state when `data` is certainly valid for `entityType`; otherwise
 * undefined (ask zod). With `owned` (the caller parsed `data` itself and nothing else
 * holds it), `data` is returned as it is when it is a plain object with no keys beyond
 * the schema's: it then equals zod's output, and copying it would only make garbage.
 */
export function fastParse(entityType: EntityType, data: Record<string, unknown>, owned = false): Record<string, unknown> | undefined {
  const fields = FIELDS[entityType];
  let present = 0;
  for (const field of fields) {
    const value = data[field.name];
    if (field.optional && (value === undefined || value === null)) {
      if (value === null) present++;
      continue;
    }
    if (!field.check(value)) return undefined;
    present++;
  }
  if (owned && Object.getPrototypeOf(data) === Object.prototype && enumerableKeys(data) === present) return data;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = data[field.name];
    if (value !== undefined) out[field.name] = value;
  }
  return out;
}

/** Own and inherited enumerable string keys, as for...in sees them (no array allocated, unlike Object.keys). */
function enumerableKeys(value: object): number {
  let n = 0;
  // Inherited keys count too, on purpose: any key beyond the schema's means "copy".
  for (const _ in value) n++;
  return n;
}
