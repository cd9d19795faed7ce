import { z } from 'zod';

/** Where the warehouse is and how to talk to it. */
export interface WarehouseConfig {
  projectId: string;
  datasetId: string;
  /** Dataset location, e.g. US or EU. */
  location: string;
  /** REST base of a local emulator, e.g. http://127.0.0.1:9050. Unset: real BigQuery with Application Default Credentials. */
  emulatorEndpoint?: string;
  /** host:port of the emulator's gRPC Storage API (Write API appends); set whenever emulatorEndpoint is. */
  storageEmulatorHost?: string;
  /** A service-account key file; unset: Application Default Credentials. */
  keyFilename?: string;
  /**
   * JOB_CREATION_OPTIONAL is BigQuery's short-query mode: small queries are answered
   * without creating a job, which cuts hundreds of milliseconds from interactive reads.
   */
  jobCreationMode: 'JOB_CREATION_OPTIONAL' | 'JOB_CREATION_REQUIRED';
  /** Upper bound for one query, in milliseconds. */
  queryTimeoutMs: number;
}

const EMULATOR_SUFFIX = '/bigquery/v2';

/**
 * Environment variables for the warehouse. Apps include this schema in their own
 * `environment.ts`; this library never reads process.env itself.
 */
export const warehouseEnvironment = z
  .object({
    BIGQUERY_PROJECT: z.string().min(1).default('phoenix-local'),
    BIGQUERY_DATASET: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,1023}$/, 'must be letters, digits and underscores')
      .default('phoenix'),
    BIGQUERY_LOCATION: z.string().min(1).default('US'),
    // The Node client itself reads this variable and uses it verbatim as its base URL,
    // so it must carry the /bigquery/v2 suffix; checking here turns 404s into a clear error.
    BIGQUERY_EMULATOR_HOST: z
      .url({ message: 'must be a URL such as http://127.0.0.1:9050/bigquery/v2' })
      .refine((v) => v.replace(/\/+$/, '').endsWith(EMULATOR_SUFFIX), {
        message: 'must end in /bigquery/v2, e.g. http://127.0.0.1:9050/bigquery/v2 (the BigQuery client uses it verbatim)',
      })
      .optional(),
    BIGQUERY_STORAGE_EMULATOR_HOST: z
      .string()
      .regex(/^[^:\s/]+:\d+$/, "must be host:port of the emulator's gRPC port, e.g. 127.0.0.1:9060")
      .optional(),
    BIGQUERY_KEY_FILE: z.string().min(1).optional(),
    BIGQUERY_JOB_CREATION_MODE: z.enum(['JOB_CREATION_OPTIONAL', 'JOB_CREATION_REQUIRED']).default('JOB_CREATION_OPTIONAL'),
    BIGQUERY_QUERY_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  })
  .transform((e): WarehouseConfig => ({
    projectId: e.BIGQUERY_PROJECT,
    datasetId: e.BIGQUERY_DATASET,
    location: e.BIGQUERY_LOCATION,
    ...(e.BIGQUERY_EMULATOR_HOST
      ? { emulatorEndpoint: e.BIGQUERY_EMULATOR_HOST.replace(/\/+$/, '').slice(0, -EMULATOR_SUFFIX.length) }
      : {}),
    // The Storage Write API is gRPC, on its own port: bqemulator's default is 9060 on the REST host.
    ...(e.BIGQUERY_EMULATOR_HOST
      ? { storageEmulatorHost: e.BIGQUERY_STORAGE_EMULATOR_HOST ?? `${new URL(e.BIGQUERY_EMULATOR_HOST).hostname}:9060` }
      : {}),
    ...(e.BIGQUERY_KEY_FILE ? { keyFilename: e.BIGQUERY_KEY_FILE } : {}),
    jobCreationMode: e.BIGQUERY_JOB_CREATION_MODE,
    queryTimeoutMs: e.BIGQUERY_QUERY_TIMEOUT_MS,
  }));
