import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Warehouse } from '@phoenix/bq';

export interface PreflightReport {
  kafka: { brokers: number; topics: Record<string, { partitions: number } | 'missing'> };
  warehouse: { dataset: string; missingTables: string[] };
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

    const { projectId, datasetId } = deps.warehouse.config;
    const tables = new Set(await deps.warehouse.listTables());
    const report: PreflightReport = {
      kafka: { brokers: cluster.brokers.length, topics },
      warehouse: {
        dataset: `${projectId}.${datasetId}`,
        missingTables: deps.requiredTables.filter((t) => !tables.has(t)),
      },
    };
    deps.logger.info({ preflight: report }, 'preflight finished');
    return report;
  } finally {
    await admin.disconnect();
  }
}
