/**
 * An enum's resolver map: each GraphQL value (upper case) → the value resolvers and the
 * warehouse use, e.g. CHECKED_IN → checked_in. Typed per value, so it matches the
 * resolver types generated with the same mapping (`enumValues` in the codegen settings).
 */
export function enumValues<const V extends string>(values: readonly V[]): { [K in V as Uppercase<K>]: K } {
  return Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as { [K in V as Uppercase<K>]: K };
}
