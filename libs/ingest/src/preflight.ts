import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Warehouse } from '@phoenix/bq';

export interface PreflightReport {
  kafka: {
    brokers: number;
    /** Per topic: partitions and max.message.bytes (the largest record batch the broker accepts, compressed). */
    topics: Record<string, { partitions: number; maxMessageBytes?: number } | 'missing'>;
    /** Source topics whose records can be larger than the dead-letter topic accepts. */
    deadLetterTooSmall: DeadLetterLimitProblem[];
  };
  warehouse: { dataset: string; missingTables: string[] };
}

export interface DeadLetterLimitProblem {
  topic: string;
  maxMessageBytes: number;
  deadLetterTopic: string;
  deadLetterMaxMessageBytes: number;
}

/**
 * Source topics whose max.message.bytes is above the dead-letter topic's: a message the
 * source accepted may come back as a dead letter the dead-letter topic refuses (it is then
 * published as a stub, the original kept in the dead_letters row).
 */
export function deadLetterLimitProblems(
  topics: PreflightReport['kafka']['topics'],
  sources: readonly string[],
  deadLetterTopic: string,
): DeadLetterLimitProblem[] {
  const dlq = topics[deadLetterTopic];
  if (dlq === undefined || dlq === 'missing' || dlq.maxMessageBytes === undefined) return [];
  return sources.flatMap((topic) => {
    const t = topics[topic];
    if (t === undefined || t === 'missing' || t.maxMessageBytes === undefined || t.maxMessageBytes <= (dlq.maxMessageBytes as number))
      return [];
    return [{ topic, maxMessageBytes: t.maxMessageBytes, deadLetterTopic, deadLetterMaxMessageBytes: dlq.maxMessageBytes as number }];
  });
}

/**
 * Checks, with the app's own configuration and clients, that the broker answers and
 * the topics exist (they are never auto-created), and that the warehouse answers and
 * holds the migrated tables. The ingest pipeline runs the same checks before it starts
 * consuming; `npm start` runs them to report the platform's status.
 */
export async function preflight(deps: {
  kafka: Kafka;
  warehouse: Warehouse;
  topics: string[];
  /** The dead-letter topic (one of `topics`): its record size limit is compared with the others'. */
  deadLetterTopic?: string;
  requiredTables: string[];
  logger: Logger;
}): Promise<PreflightReport> {
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const existing = new Set(await admin.listTopics());
    const present = deps.topics.filter((t) => existing.has(t));
    const metadata = present.length > 0 ? await admin.fetchTopicMetadata({ topics: present }) : { topics: [] };
    const topics: PreflightReport['kafka']['topics'] = Object.fromEntries(deps.topics.map((t) => [t, 'missing' as const]));
    for (const t of metadata.topics) topics[t.name] = { partitions: t.partitions.length };
    if (present.length > 0) {
      const configs = await admin.describeConfigs({
        resources: present.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
        includeSynonyms: false,
      });
      for (const r of configs.resources) {
        const value = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
        const t = topics[r.resourceName];
        if (t !== undefined && t !== 'missing' && Number.isSafeInteger(value)) t.maxMessageBytes = value;
      }
    }
    const dlq = deps.deadLetterTopic;
    const deadLetterTooSmall = dlq
      ? deadLetterLimitProblems(
          topics,
          deps.topics.filter((t) => t !== dlq),
          dlq,
        )
      : [];

    const { projectId, datasetId } = deps.warehouse.config;
    const tables = new Set(await deps.warehouse.listTables());
    const report: PreflightReport = {
      kafka: { brokers: cluster.brokers.length, topics, deadLetterTooSmall },
      warehouse: {
        dataset: `${projectId}.${datasetId}`,
        missingTables: deps.requiredTables.filter((t) => !tables.has(t)),
      },
    };
    deps.logger.info({ preflight: report }, 'preflight finished');
    for (const problem of deadLetterTooSmall)
      deps.logger.warn(
        problem,
        'the dead-letter topic accepts smaller records than its source topic: large dead letters become stubs (raise its max.message.bytes)',
      );
    return report;
  } finally {
    await admin.disconnect();
  }
}
