import { ConfigError } from '@phoenix/service/config';
import { loadEnvironment } from './environment';

describe('ingest environment', () => {
  it('defaults to the local broker and emulator-free BigQuery settings', () => {
    const env = loadEnvironment({});
    expect(env.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'phoenix-ingest', connectionTimeoutMs: 3000 });
    expect(env.warehouse).toEqual({
      projectId: 'phoenix-local',
      datasetId: 'phoenix',
      location: 'US',
      jobCreationMode: 'JOB_CREATION_OPTIONAL',
      queryTimeoutMs: 30000,
    });
    expect(env.ingest.topics).toEqual({ events: 'phoenix.events', backfill: 'phoenix.backfill', deadLetter: 'phoenix.deadletter' });
    expect(env.tracing).toEqual({ serviceName: 'phoenix-ingest' });
  });

  it('exports spans to the standard OTLP endpoint variables, the traces one first', () => {
    expect(loadEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      serviceName: 'phoenix-ingest',
      otlpEndpoint: 'http://collector:4318/v1/traces',
    });
    expect(
      loadEnvironment({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.net/otlp',
        OTEL_SERVICE_NAME: 'ingest-eu',
      }).tracing,
    ).toEqual({ serviceName: 'ingest-eu', otlpEndpoint: 'https://traces.example.net/otlp' });
    expect(() => loadEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/,
    );
  });

  it('configures real Kafka over SASL/SSL and real BigQuery with a key file from the environment', () => {
    const env = loadEnvironment({
      KAFKA_BROKERS: 'b-1.kafka.internal:9096,b-2.kafka.internal:9096',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/etc/ssl/kafka-ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'phoenix-ingest',
      KAFKA_SASL_PASSWORD: 'p4ss',
      BIGQUERY_PROJECT: 'acme-data-prod',
      BIGQUERY_DATASET: 'phoenix_prod',
      BIGQUERY_LOCATION: 'EU',
      BIGQUERY_KEY_FILE: '/var/run/secrets/bq.json',
    });
    expect(env.kafka).toEqual({
      brokers: ['b-1.kafka.internal:9096', 'b-2.kafka.internal:9096'],
      clientId: 'phoenix-ingest',
      connectionTimeoutMs: 3000,
      ssl: { rejectUnauthorized: true, caFile: '/etc/ssl/kafka-ca.pem' },
      sasl: { mechanism: 'scram-sha-512', username: 'phoenix-ingest', password: 'p4ss' },
    });
    expect(env.warehouse).toMatchObject({
      projectId: 'acme-data-prod',
      datasetId: 'phoenix_prod',
      location: 'EU',
      keyFilename: '/var/run/secrets/bq.json',
    });
    expect(env.warehouse.emulatorEndpoint).toBeUndefined();
  });

  it('points the BigQuery client at the emulator when BIGQUERY_EMULATOR_HOST is set', () => {
    expect(loadEnvironment({ BIGQUERY_EMULATOR_HOST: 'http://127.0.0.1:9050/bigquery/v2/' }).warehouse.emulatorEndpoint).toBe(
      'http://127.0.0.1:9050',
    );
  });

  it('reports every inconsistent setting at once, without echoing secrets', () => {
    let error: ConfigError | undefined;
    try {
      loadEnvironment({
        KAFKA_BROKERS: 'no-port',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'topsecret',
        KAFKA_SSL_CA_FILE: '/ca.pem',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.split(':')[0])).toEqual(['KAFKA_BROKERS.0', 'KAFKA_SASL_MECHANISM', 'KAFKA_SSL', 'LOG_LEVEL']);
    expect(error?.message).not.toContain('topsecret');
  });
});
