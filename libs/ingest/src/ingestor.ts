import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { formatProblem } from '@phoenix/domain';
import { createLagMonitor } from './lag';
import type { IngestMetrics, Outcome } from './metrics';
import { createOffsetAccounting, type PartitionTally } from './pipeline/accounting';
import { headerText, publishDeadLetters } from './pipeline/dead-letter';
import { decode, type ConsumedMessage, type Decoded } from './pipeline/decode';
import { retryForever } from './pipeline/retry';
import type { WarehouseWriter } from './pipeline/writer';
import type { Tracing } from './tracing';

export interface IngestorConfig {
  /** Consumer group; live and backfill lanes use different groups so one never delays the other. */
  groupId: string;
  topics: string[];
  deadLetterTopic: string;
  maxEventBytes: number;
  /** Messages per chunk; a Kafka batch larger than this is written in chunks. */
  maxBatchMessages: number;
  /** Partitions processed at once (kafkajs partitionsConsumedConcurrently); 1 when unset. */
  partitionsConcurrently?: number;
  /** Most bytes one fetch returns per partition (kafkajs maxBytesPerPartition); 1 MiB when unset. */
  fetchMaxBytesPerPartition?: number;
  /** A lane name for logs and metrics, e.g. live or backfill. */
  lane: string;
  /** How often the consumer lag gauge is refreshed from the broker; 15 s when unset. */
  lagRefreshMs?: number;
  /** How long a rebalance in progress keeps a member that was joined ready; 45 s when unset. */
  rebalanceGraceMs?: number;
}

/** The kafkajs consumer settings of a lane (also used by tools/bench/ingest, so every phase fetches alike). */
export function laneConsumerSettings(config: Pick<IngestorConfig, 'fetchMaxBytesPerPartition'>) {
  const perPartition = config.fetchMaxBytesPerPartition ?? 1024 * 1024;
  return {
    // A long warehouse outage must not cost the group membership: heartbeats keep going
    // while a write is retried, and the session timeout covers a stuck heartbeat.
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
    // Big fetches make big writes: a write costs the warehouse about the same number of
    // statements whatever its size (docs/benchmarks.md).
    maxBytesPerPartition: perPartition,
    maxBytes: Math.max(10 * 1024 * 1024, 8 * perPartition),
    allowAutoTopicCreation: false,
  };
}

export type { PartitionTally };

/** What /readyz shows of a lane, and how `ready` follows from it. */
export interface LaneState {
  connected: boolean;
  joined: boolean;
  /** When the rebalance in progress began (the member left its assignment), if one is. */
  rebalancingSince: number | null;
  failingSince: number | null;
}

/**
 * Ready when connected, a member of the group (or rebalancing for less than
 * `rebalanceGraceMs`: every member goes through one whenever a member joins or leaves,
 * and it is over in seconds), and the warehouse not failing for over a minute.
 */
export function laneReadiness(state: LaneState, now: number, rebalanceGraceMs: number) {
  const failingForMs = state.failingSince === null ? 0 : now - state.failingSince;
  const rebalancingForMs = state.rebalancingSince === null ? 0 : now - state.rebalancingSince;
  const member = state.joined || (state.rebalancingSince !== null && rebalancingForMs < rebalanceGraceMs);
  return { ready: state.connected && member && failingForMs < 60_000, failingForMs, rebalancingForMs };
}

/**
 * One consumer group lane: Kafka → decode/validate → dead letters → warehouse → commit.
 * Offsets are committed only after the warehouse acknowledged every message up to them
 * (and dead letters were acknowledged by Kafka), so a crash or a rebalance can only
 * repeat work, which the writer makes harmless.
 */
export function createIngestor(deps: {
  kafka: Kafka;
  producer: Producer;
  /** The warehouse writer, or a group commit in front of it (createGroupCommit). */
  writer: Pick<WarehouseWriter, 'write'>;
  metrics: IngestMetrics;
  tracing: Tracing;
  logger: Logger;
  config: IngestorConfig;
}) {
  const { kafka, producer, writer, metrics, tracing, config } = deps;
  const logger = deps.logger.child({ lane: config.lane, groupId: config.groupId });
  const consumer: Consumer = kafka.consumer({ groupId: config.groupId, ...laneConsumerSettings(config) });
  const admin = kafka.admin();
  const lag = createLagMonitor({ admin, groupId: config.groupId, metrics, logger, intervalMs: config.lagRefreshMs ?? 15_000 });
  const stopping = new AbortController();
  const accounting = createOffsetAccounting();
  let assigned = 0;
  // A member of the group with its assignment in hand: set by each join, cleared while
  // the group rebalances and when the consumer stops.
  let joined = false;
  let rebalancingSince: number | null = null;
  let connected = false;
  let failingSince: number | null = null;

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = Object.values(e.payload.memberAssignment).reduce((n, partitions) => n + partitions.length, 0);
    joined = true;
    rebalancingSince = null;
    // A consumer restarted by kafkajs after a crash joins again without a new CONNECT event.
    connected = true;
    lag.setAssignment(e.payload.memberAssignment);
    accounting.assigned(e.payload.memberAssignment);
    logger.info({ assignment: e.payload.memberAssignment }, 'joined consumer group');
  });
  consumer.on(consumer.events.REBALANCING, () => {
    // Only a member that was joined gets the grace: one that never joined is not ready yet.
    if (joined) rebalancingSince ??= Date.now();
    joined = false;
  });
  consumer.on(consumer.events.STOP, () => {
    joined = false;
    rebalancingSince = null;
  });
  consumer.on(consumer.events.CONNECT, () => (connected = true));
  consumer.on(consumer.events.DISCONNECT, () => (connected = false));
  consumer.on(consumer.events.CRASH, (e) => logger.error({ err: e.payload.error }, 'consumer crashed'));

  /** Publishes a chunk's dead letters; a letter the dead-letter topic refuses goes out as a stub, or is counted unpublished. */
  async function deadLetter(items: Extract<Decoded, { kind: 'dead' }>[]): Promise<void> {
    const published = await publishDeadLetters(items, (messages, compression) =>
      producer.send({ topic: config.deadLetterTopic, acks: -1, compression, messages }).then(() => undefined),
    );
    for (const { error, source } of published.stubs) {
      metrics.deadLetterFallbacks.inc({ error, result: 'stub', topic: source.topic });
      logger.warn(
        { topic: source.topic, partition: source.partition, offset: source.offset, error, deadLetterTopic: config.deadLetterTopic },
        'dead-letter topic refused the letter; published a stub, the original is in the dead_letters row',
      );
    }
    for (const { error, source } of published.unpublished) {
      metrics.deadLetterFallbacks.inc({ error, result: 'unpublished', topic: source.topic });
      logger.error(
        { topic: source.topic, partition: source.partition, offset: source.offset, error, deadLetterTopic: config.deadLetterTopic },
        'dead-letter topic refused the letter and its stub; it is in the dead_letters row only',
      );
    }
  }

  async function processChunk(messages: ConsumedMessage[], heartbeat: () => Promise<void>): Promise<void> {
    const decoded = messages.map((m) => decode(m, { maxBytes: config.maxEventBytes }));
    // Dead letters get a span too: "what happened to my event" has an answer in the
    // producer's trace whether the event was applied or refused.
    const spans = decoded.map((d) => {
      const position = {
        'messaging.destination.name': d.message.topic,
        'messaging.kafka.destination.partition': d.message.partition,
        'messaging.kafka.message.offset': Number(d.message.offset),
      };
      return d.kind === 'event'
        ? tracing.startEventSpan('phoenix.ingest.event', d.traceparent, {
            ...position,
            'phoenix.tenant_id': d.event.tenantId,
            'phoenix.event_id': d.event.id,
            'phoenix.entity_type': d.event.entityType,
          })
        : tracing.startEventSpan('phoenix.ingest.event', headerText(d.message.headers, 'traceparent'), {
            ...position,
            ...(d.partial.tenantId ? { 'phoenix.tenant_id': d.partial.tenantId } : {}),
            ...(d.partial.eventId ? { 'phoenix.event_id': d.partial.eventId } : {}),
            'phoenix.reason': d.problems[0]?.code ?? 'UNKNOWN',
          });
    });
    // Keep the group membership alive while the warehouse is slow or down.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
    try {
      const onError = (what: string) => (err: unknown, attempt: number, delayMs: number) => {
        failingSince ??= Date.now();
        metrics.writeFailures.inc({ code: (err as { code?: string }).code ?? 'UNKNOWN' });
        logger.warn({ err, attempt, delayMs, partition: messages[0]?.partition, topic: messages[0]?.topic }, `${what} failed; retrying`);
      };
      // The warehouse first: a stub on the dead-letter topic then always has its row. A
      // dead letter this process already published (a redelivery of a batch it wrote but
      // did not commit) is not published again.
      const { outcomes, redelivered } = await retryForever(() => writer.write(decoded), {
        signal: stopping.signal,
        onError: onError('warehouse write'),
      });
      const dead = decoded.filter(
        (d): d is Extract<Decoded, { kind: 'dead' }> =>
          d.kind === 'dead' && !accounting.seen(d.message.topic, d.message.partition, d.message.offset),
      );
      // Tried once even while the lane stops, so a chunk written during the stop is
      // still committed; retried only while it runs.
      await deadLetter(dead).catch((err: unknown) => {
        if (stopping.signal.aborted) throw err;
        onError('dead-letter publish')(err, 0, 0);
        return retryForever(() => deadLetter(dead), { signal: stopping.signal, onError: onError('dead-letter publish') });
      });
      failingSince = null;

      decoded.forEach((d, i) => {
        const outcome = outcomes[i] as Outcome;
        const labels =
          d.kind === 'event'
            ? { tenant: d.event.tenantId, entity_type: d.event.entityType }
            : { tenant: d.partial.tenantId ?? 'unknown', entity_type: 'unknown' };
        const reason = d.kind === 'dead' ? (d.problems[0]?.code ?? 'UNKNOWN') : undefined;
        const delivery = accounting.written(d.message.topic, d.message.partition, {
          offset: d.message.offset,
          outcome,
          labels,
          ...(reason ? { reason } : {}),
          ...(redelivered?.[i] ? { redelivered: true } : {}),
        });
        if (delivery === 'redelivered') metrics.redelivered.inc({ topic: d.message.topic });
        const position = { topic: d.message.topic, partition: d.message.partition, offset: d.message.offset };
        if (d.kind === 'dead') {
          logger.warn(
            {
              ...position,
              tenantId: d.partial.tenantId,
              eventId: d.partial.eventId,
              traceId: spans[i]?.spanContext().traceId,
              reason,
              problems: d.problems.map(formatProblem),
              redelivered: delivery === 'redelivered',
            },
            'message dead-lettered',
          );
        } else {
          logger.debug(
            {
              ...position,
              tenantId: d.event.tenantId,
              eventId: d.event.id,
              traceId: spans[i]?.spanContext().traceId,
              outcome,
              redelivered: delivery === 'redelivered' || redelivered?.[i] === true,
            },
            'event processed',
          );
        }
        const span = spans[i];
        if (span) {
          span.setAttribute('phoenix.outcome', outcome);
          span.end();
        }
      });
    } finally {
      clearInterval(beat);
    }
  }

  async function eachBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    const endTimer = metrics.batchSeconds.startTimer({ topic: batch.topic });
    const receivedAt = new Date().toISOString();
    const first = batch.messages[0];
    // What is not committed yet, this batch included; the lag monitor and each commit update it.
    if (first) lag.observe(batch.topic, batch.partition, batch.highWatermark, first.offset);
    const chunks: ConsumedMessage[][] = [];
    for (let start = 0; start < batch.messages.length; start += config.maxBatchMessages) {
      chunks.push(
        batch.messages.slice(start, start + config.maxBatchMessages).map((m): ConsumedMessage => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
          headers: m.headers,
          receivedAt,
        })),
      );
    }
    // Every chunk goes to the lane's writer at once, so one partition's fetch can fill a
    // group-committed write whatever the chunk size. Offsets are still committed strictly
    // in order, each only after its own chunk (and every earlier one) is written.
    const written = chunks.map((chunk) => processChunk(chunk, heartbeat));
    for (const w of written) w.catch(() => undefined); // each is awaited below, in order
    try {
      for (let i = 0; i < chunks.length; i++) {
        await written[i];
        // A chunk that is written is committed even while the lane stops (fewer messages
        // to read again); only a revoked partition (stale) must not commit.
        if (isStale() || (!isRunning() && !stopping.signal.aborted)) break;
        const chunk = chunks[i] as ConsumedMessage[];
        const last = chunk[chunk.length - 1] as ConsumedMessage;
        resolveOffset(last.offset);
        const next = (BigInt(last.offset) + 1n).toString();
        // consumer.commitOffsets does nothing once consumer.stop() began (kafkajs checks
        // that the runner runs); the batch's own commit goes to the group while it is a member.
        if (stopping.signal.aborted)
          await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
        else await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        for (const m of accounting.committed(batch.topic, batch.partition, next)) {
          metrics.events.inc({ outcome: m.outcome, ...m.labels, topic: batch.topic });
          if (m.redelivered) metrics.redelivered.inc({ topic: batch.topic });
          if (m.reason) metrics.deadLetters.inc({ reason: m.reason, topic: batch.topic });
        }
        metrics.batchSize.observe(chunk.length);
        lag.observe(batch.topic, batch.partition, batch.highWatermark, next);
        await heartbeat();
      }
    } finally {
      // Whatever happened, leave no write of this batch running behind the next one.
      await Promise.allSettled(written);
      endTimer();
    }
  }

  let starting: Promise<void> | undefined;

  /** Connects and joins, step by step; a stop in between ends it there (stop() then undoes what was done). */
  async function startSteps(): Promise<void> {
    const steps: (() => Promise<unknown> | void)[] = [
      () => admin.connect(),
      () => lag.start(),
      () => consumer.connect(),
      () => consumer.subscribe({ topics: config.topics, fromBeginning: true }),
      () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: config.partitionsConcurrently ?? 1,
          eachBatch,
        }),
    ];
    for (const step of steps) {
      if (stopping.signal.aborted) return;
      await step();
    }
    logger.info({ topics: config.topics }, 'ingest lane started');
  }

  /** Stops fetching, commits what is written, abandons a waiting retry without committing past it, disconnects. */
  async function stop(): Promise<void> {
    stopping.abort(new Error('ingest stopping'));
    // A start in progress ends at its next step; wait for it so nothing starts after this.
    await starting?.catch(() => undefined);
    await consumer.stop().catch((err: unknown) => logger.warn({ err }, 'consumer stop failed'));
    await consumer.disconnect().catch((err: unknown) => logger.warn({ err }, 'consumer disconnect failed'));
    lag.stop();
    await admin.disconnect().catch((err: unknown) => logger.warn({ err }, 'admin disconnect failed'));
    logger.info('ingest lane stopped');
  }

  return {
    /** Connects and joins the group. A failure leaves nothing running (it stops what it started) and is thrown. */
    async start(): Promise<void> {
      starting = startSteps();
      try {
        await starting;
      } catch (err) {
        if (stopping.signal.aborted) return;
        await stop();
        throw err;
      }
    },
    stop,
    /**
     * Ready when connected, a member of the group with its assignment received (or in a
     * rebalance for less than the grace), and the warehouse not failing for over a
     * minute. An empty assignment is ready too: with more instances than partitions the
     * extra ones are standby members that take over on the next rebalance, and a rollout
     * must not wait for them forever.
     */
    readiness(): {
      ready: boolean;
      connected: boolean;
      joined: boolean;
      rebalancingForMs: number;
      assignedPartitions: number;
      failingForMs: number;
    } {
      const { ready, failingForMs, rebalancingForMs } = laneReadiness(
        { connected, joined, rebalancingSince, failingSince },
        Date.now(),
        config.rebalanceGraceMs ?? 45_000,
      );
      return { ready, connected, joined, rebalancingForMs, assignedPartitions: assigned, failingForMs };
    },
    /**
     * Per partition, since this process started: each offset it committed counted once,
     * consumed = applied + duplicate + superseded + dead_lettered; `redelivered` counts
     * deliveries of offsets it had already written, `uncommitted` those written and not
     * yet committed.
     */
    reconciliation() {
      return accounting.reconciliation();
    },
  };
}

export type Ingestor = ReturnType<typeof createIngestor>;
