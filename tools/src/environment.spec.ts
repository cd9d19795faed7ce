import { loadToolsEnvironment } from './environment';

describe('tools environment', () => {
  it('reads the same warehouse variables as the apps', () => {
    expect(
      loadToolsEnvironment({ BIGQUERY_DATASET: 'phoenix_dev', BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050/bigquery/v2' }).warehouse,
    ).toMatchObject({
      datasetId: 'phoenix_dev',
      emulatorEndpoint: 'http://127.0.0.1:9050',
    });
  });

  it('rejects a dataset name BigQuery would refuse', () => {
    expect(() => loadToolsEnvironment({ BIGQUERY_DATASET: 'phoenix-dev' })).toThrow(
      /BIGQUERY_DATASET: must be letters, digits and underscores/,
    );
  });
});
