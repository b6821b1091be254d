import type { AuditService } from '../audit/audit.service';
import type { BatchIngestor } from '../ingest/batch-ingestor';
import type { StreamCheckpointRepository } from '../registry/stream-checkpoint.repository';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { KafkajsClient } from './kafka/drivers/kafkajs.client';
import type { KafkaClient, TopicProducer } from './kafka/kafka-client';
import { MicroBatchConsumer, type MicroBatch } from './micro-batch.consumer';
import { lastOffsets, OffsetWatermarks } from './offset-watermarks';
import type { OnlineRefresher } from './online/online-refresher';
import { PendingRefreshSet } from './online/pending-refresh.set';
import { RefreshScheduler } from './online/refresh-scheduler';
import type { StreamViewSetup } from './online/stream-view-setup';
import { StreamBatchAudit } from './stream-batch.audit';
import { StreamBatchWriter } from './stream-batch.writer';
import type { StreamBatchStats, StreamObserver, StreamOptions, StreamTotals } from './stream.types';
import { WorkerStatus } from './worker-status';

/** What the stream worker works with. */
export interface StreamDependencies {
  readonly ingestor: BatchIngestor;
  /** Where the offset watermarks and the pending online refreshes are kept. */
  readonly registry: Pick<StreamCheckpointRepository, 'getWatermark' | 'setWatermarks' | 'addPendingRefresh' | 'getPendingRefresh' | 'clearPendingRefresh'>;
  readonly refresher: OnlineRefresher;
  /** Sets up the stream views of a fresh data folder (null: only views materialised before are refreshed). */
  readonly views: StreamViewSetup | null;
  /** The broker (default: kafkajs on `options.brokers`). */
  readonly kafka?: KafkaClient;
  /** Where batch files are spooled. */
  readonly tmpDir: string;
  /** The audit trail, which gets one `local` entry per committed batch (none: not recorded). */
  readonly audit?: Pick<AuditService, 'recordLocal'> | null;
}

/**
 * The Kafka consumer-group worker: bar messages become lake rows in micro-batches (see `handle`
 * for the order of the steps). A crash at any point loses nothing; what is re-delivered is
 * skipped or superseded by the identical row.
 */
export class StreamIngestor {
  readonly totals: StreamTotals = { messages: 0, accepted: 0, deadLetters: 0, alreadyStored: 0, batches: 0, onlineRows: 0, commitFailures: 0, auditFailures: 0 };
  /** Why the last offset commit failed, if one did (see totals.commitFailures). */
  lastCommitError: string | null = null;
  /** Why the last audit append failed, if one did (see totals.auditFailures). */
  get lastAuditError(): string | null {
    return this.audit.lastError;
  }
  private readonly status = new WorkerStatus();
  private readonly kafka: KafkaClient;
  private readonly producer: TopicProducer;
  private readonly consumer: MicroBatchConsumer;
  private readonly watermarks: OffsetWatermarks;
  private readonly writer: StreamBatchWriter;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly refreshes: RefreshScheduler;
  private readonly audit: StreamBatchAudit;

  constructor(
    private readonly deps: StreamDependencies,
    private readonly options: StreamOptions,
    private readonly observer: StreamObserver | null = null,
  ) {
    this.kafka = deps.kafka ?? new KafkajsClient({ brokers: options.brokers, clientId: options.clientId ?? `feature-store-${options.group}` });
    this.producer = this.kafka.producer();
    this.consumer = new MicroBatchConsumer(this.kafka.consumer(options.group), options, this.status, (batch) => this.handle(batch));
    this.watermarks = new OffsetWatermarks(deps.registry, options.group, options.topic);
    this.writer = new StreamBatchWriter(deps.ingestor, deps.tmpDir, options);
    this.deadLetters = new DeadLetterPublisher(this.producer, this.dlqTopic, options.topic);
    const pendingSet = new PendingRefreshSet(deps.registry, options.group, options.topic);
    this.refreshes = new RefreshScheduler(deps.refresher, options.dataset, pendingSet, this.status, this.totals, observer);
    this.audit = new StreamBatchAudit(deps.audit ?? null, options, this.totals, (message) => this.observer?.auditError?.(message));
  }

  get dlqTopic(): string {
    return this.options.dlqTopic ?? `${this.options.topic}.dlq`;
  }

  /** (View, symbol) pairs written to the lake and not yet refreshed online (0 when online values are current). */
  get pendingRefresh(): number {
    return this.refreshes.pendingCount;
  }

  /** Calls `listener` when a batch cannot be written (the worker stops; nothing is committed). */
  onFailure(listener: (error: Error) => void): void {
    this.status.onFailure(listener);
  }

  /** Sets up the stream views, takes up pending refreshes, creates the topics and joins the group. */
  async start(): Promise<void> {
    await this.setUpViews();
    await this.refreshes.start(this.options.pendingScanMs ?? 60_000);
    await this.kafka.ensureTopics([this.options.topic, this.dlqTopic]);
    await this.producer.connect();
    await this.consumer.start();
  }

  /** Graceful stop (SIGTERM): writes and commits what is buffered, then leaves the group. */
  async stop(): Promise<void> {
    if (this.status.stopped) return;
    this.status.stopped = true;
    await this.consumer.drain();
    await this.refreshes.stop();
    await this.consumer.close();
    await this.producer.disconnect();
  }

  /** Writes the buffered messages now (they are written one batch at a time, in order). */
  flush(): Promise<void> {
    return this.consumer.flush();
  }

  /**
   * One micro-batch, step by step. The offsets are committed last: a crash before that
   * re-delivers the batch, and each step is safe to do again.
   */
  private async handle(batch: MicroBatch): Promise<void> {
    const started = Date.now();
    // 1. Skip what an earlier run already wrote (it crashed before committing).
    const fresh = await this.watermarks.freshMask(batch.messages);
    // 2. The fresh bars that pass the checks become one lake batch; the others are dead letters.
    const written = await this.writer.write(batch, fresh);
    // 3. Dead letters, with the reason and the original bytes, before the offsets move on.
    await this.deadLetters.publish(written.deadLetters);
    // 4. A stream view set up now (a fresh data folder) starts with the rows just written.
    if (written.result) await this.setUpViews();
    // 5. The symbols of the rows that passed join the set awaiting an online refresh, which runs
    // off the write path: the rows are in the lake and the symbols in the registry, all a
    // refresh needs (a crash from here on re-delivers the batch, and its symbols come again).
    await this.refreshes.enqueue(written.refreshFrom);
    // 6. Watermarks, then the commit: only now is the batch done.
    const last = lastOffsets(batch.messages);
    await this.watermarks.record(last);
    let lags: Array<[number, number]>;
    try {
      lags = await this.consumer.commit(last);
    } catch (error) {
      // A rebalance moved a partition away meanwhile: its new owner is re-delivered these
      // messages and skips them by the watermark just recorded. (If it read the watermark before
      // this write recorded it, it writes the batch too: the lake then stores an identical later
      // version of those rows, and readers still see each once.)
      this.totals.commitFailures++;
      this.lastCommitError = (error as Error).message;
      lags = this.consumer.lags(last);
    }
    for (const [partition, lag] of lags) this.observer?.lag(partition, lag);
    // 7. The audit trail: one entry for the batch, after the commit (the batch is done either way).
    const alreadyStored = fresh.filter((f) => !f).length;
    await this.audit.record({ messages: batch.messages.length, accepted: written.result?.accepted ?? 0, rejected: written.deadLetters.length, alreadyStored });
    this.count({
      messages: batch.messages.length,
      accepted: written.result?.accepted ?? 0,
      deadLetters: written.deadLetters.length,
      alreadyStored,
      ms: Date.now() - started,
      pendingRefresh: this.pendingRefresh,
    });
  }

  private async setUpViews(): Promise<void> {
    await this.deps.views?.ensure(this.options.dataset, (what, message) => this.observer?.refreshError(what, `setting up the stream view: ${message}`));
  }

  private count(stats: StreamBatchStats): void {
    this.totals.messages += stats.messages;
    this.totals.accepted += stats.accepted;
    this.totals.deadLetters += stats.deadLetters;
    this.totals.alreadyStored += stats.alreadyStored;
    this.totals.batches++;
    this.observer?.batch(stats);
  }
}
