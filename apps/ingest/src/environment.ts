import { parseIngestEnvironment, type IngestEnvironment } from '@phoenix/ingest';

/** The only place the ingest app reads process.env (variables: docs/configuration.md). */
export function loadEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): IngestEnvironment {
  return parseIngestEnvironment(env);
}
