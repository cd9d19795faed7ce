import { z } from 'zod';

/** Thrown when configuration is invalid; `problems` lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses an environment-like record with one zod schema per concern (kafka, warehouse,
 * http …) and reports every problem of every concern in one error — variable name and
 * what is expected, never the value, which may be a secret. Apps call this from their
 * single `environment.ts`; libraries never read the environment.
 */
export function parseConfig<S extends Record<string, z.ZodType>>(
  schemas: S,
  env: Readonly<Record<string, string | undefined>>,
): { [K in keyof S]: z.output<S[K]> } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [concern, schema] of Object.entries(schemas)) {
    const result = schema.safeParse(env);
    if (result.success) out[concern] = result.data;
    else problems.push(...result.error.issues.map((issue) => `${issue.path.join('.') || concern}: ${issue.message}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as { [K in keyof S]: z.output<S[K]> };
}

/** An environment flag: true/false, 1/0, yes/no (any case); absent or empty gives the default. */
export function envBoolean(defaultValue: boolean) {
  return envFlag().transform((value) => value ?? defaultValue);
}

/**
 * An environment flag whose absence stays `undefined`, for defaults that depend on
 * another variable (e.g. the gateway's introspection follows GATEWAY_ENV unless set).
 */
export function envFlag() {
  return z
    .string()
    .optional()
    .transform((value, ctx): boolean | undefined => {
      if (value === undefined || value === '') return undefined;
      const v = value.toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    });
}

/** A comma-separated list, trimmed, empty items dropped. */
export function envList() {
  return z.string().transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );
}
