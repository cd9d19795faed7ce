import { readFileSync } from 'node:fs';
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConnectionConfig } from '@phoenix/service';

/** How to reach the brokers: plaintext locally, SASL over TLS in production. */
export type { KafkaConnectionConfig };

/** Builds the kafkajs client; its log lines go through our logger (JSON, with a `component` field). */
export function createKafka(config: KafkaConnectionConfig, logger: Logger): Kafka {
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    logLevel: KafkaLogLevel.INFO,
    logCreator: pinoLogCreator(logger.child({ component: 'kafkajs' })),
  };
  if (config.ssl) {
    kafkaConfig.ssl = {
      rejectUnauthorized: config.ssl.rejectUnauthorized,
      ...(config.ssl.caFile ? { ca: [readFileSync(config.ssl.caFile, 'utf8')] } : {}),
    };
  }
  if (config.sasl) {
    const { mechanism, username, password } = config.sasl;
    // kafkajs types SASL per mechanism; the three share this shape.
    kafkaConfig.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return new Kafka(kafkaConfig);
}

function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const fields = { ...extra, kafkaLogger: log['logger'] };
      if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
      else if (level === KafkaLogLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}
