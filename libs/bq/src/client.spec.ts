import { BigQuery } from '@google-cloud/bigquery';
import { classify, createWarehouse, WarehouseError } from './client';
import { param, sql } from './sql';

describe('createWarehouse', () => {
  const config = {
    projectId: 'phoenix-local',
    datasetId: 'phoenix',
    location: 'US',
    emulatorEndpoint: 'http://127.0.0.1:1',
    jobCreationMode: 'JOB_CREATION_OPTIONAL' as const,
    queryTimeoutMs: 5000,
  };

  afterEach(() => jest.restoreAllMocks());

  it('sends queries in short-query mode, on the fast path, with typed parameters', async () => {
    const spy = jest.spyOn(BigQuery.prototype, 'query').mockResolvedValue([[], null, {}] as never);
    const warehouse = createWarehouse(config);
    await warehouse.query({
      sql: sql`SELECT 1 FROM ${warehouse.table('t')} WHERE a = @a AND t > @t AND d = @d`,
      params: { a: param.string('x'), t: param.timestamp('2026-01-01T00:00:00Z'), d: param.date('2026-01-01') },
    });
    const [request, options] = spy.mock.calls[0] as unknown as [Record<string, unknown>, Record<string, unknown>];
    expect(request).toMatchObject({
      jobCreationMode: 'JOB_CREATION_OPTIONAL',
      useLegacySql: false,
      types: { a: 'STRING', t: 'TIMESTAMP', d: 'DATE' },
    });
    // jobTimeoutMs would make the client skip jobs.query (the fast path short-query mode needs).
    expect(request).not.toHaveProperty('jobTimeoutMs');
    expect(options).toEqual({ timeoutMs: 5000 });
    // The client drops plain-string TIMESTAMP/DATE values; they must arrive as Date / BigQueryDate.
    const params = request['params'] as Record<string, unknown>;
    expect(params['t']).toBeInstanceOf(Date);
    expect((params['d'] as { value: string }).value).toBe('2026-01-01');
  });

  it('turns a 200 response carrying errors into a WarehouseError', async () => {
    jest
      .spyOn(BigQuery.prototype, 'query')
      .mockResolvedValue([[], null, { errors: [{ reason: 'invalidQuery', message: 'no such column' }] }] as never);
    const warehouse = createWarehouse(config);
    await expect(warehouse.query({ sql: sql`SELECT x`, params: {} })).rejects.toMatchObject({ code: 'QUERY_FAILED', retryable: false });
  });
});

describe('classify', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, 'TRANSIENT', true],
    [{ code: 503, message: 'unavailable' }, 'TRANSIENT', true],
    [{ response: { status: 502 }, message: 'bad gateway' }, 'TRANSIENT', true],
    [{ errors: [{ reason: 'rateLimitExceeded' }], message: 'slow down' }, 'TRANSIENT', true],
    [
      { errors: [{ reason: 'invalidQuery' }], message: 'Could not serialize access to table x due to concurrent update' },
      'TRANSIENT',
      true,
    ],
    [{ errors: [{ reason: 'quotaExceeded' }], message: 'Too many DML statements outstanding against table x' }, 'QUOTA_EXCEEDED', true],
    [{ code: 404, message: 'Not found: Dataset' }, 'NOT_FOUND', false],
    [{ code: 401, message: 'Request had invalid authentication credentials' }, 'PERMISSION_DENIED', false],
    [{ errors: [{ reason: 'invalidQuery' }], message: 'Syntax error' }, 'QUERY_FAILED', false],
  ])('%j → %s', (err, code, retryable) => {
    const result = classify(err);
    expect(result).toBeInstanceOf(WarehouseError);
    expect(result).toMatchObject({ code, retryable });
  });
});
