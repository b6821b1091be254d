import { BarBatchParser, type ParsedBarBatch } from './bar-batch.parser';
import type { FetchedBatch, FetchControl, FetchedMessage, GroupConsumer } from './kafka/kafka-client';
import type { WorkerStatus } from './worker-status';

/** A fetched message and its partition. */
export interface BufferedMessage extends FetchedMessage {
  readonly partition: number;
}

/** Messages taken together, and the structural checks of them started as they arrived (one per stretch, in order). */
export interface MicroBatch {
  readonly messages: readonly BufferedMessage[];
  readonly parsing: ReadonlyArray<Promise<ParsedBarBatch>>;
}

export interface MicroBatchOptions {
  readonly topic: string;
  readonly batchSize: number;
  readonly batchMs: number;
  readonly maxMessageBytes: number;
}

/**
 * The consumer loop: fetched messages are gathered into micro-batches (by size and by time) and
 * handed to `write` one at a time, in order. Offsets are committed by the writer (`commit`),
 * only after a batch is stored; nothing is auto-committed.
 */
export class MicroBatchConsumer {
  private buffer: BufferedMessage[] = [];
  private parsing: Array<Promise<ParsedBarBatch>> = [];
  private oldest: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Micro-batches handed to `chain` and not yet written. */
  private writing = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly parser: BarBatchParser;

  constructor(
    private readonly consumer: GroupConsumer,
    private readonly options: MicroBatchOptions,
    private readonly status: WorkerStatus,
    private readonly write: (batch: MicroBatch) => Promise<void>,
  ) {
    this.parser = new BarBatchParser(options.maxMessageBytes);
  }

  /** Joins the group and starts fetching. */
  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe(this.options.topic);
    // A rejoin (rebalance, or a restart after the broker came back) fetches again from the
    // committed offsets: what is still buffered would be read twice, so it is dropped.
    this.consumer.onJoin(() => {
      this.buffer = [];
      this.parsing = [];
      this.oldest = null;
    });
    this.consumer.onFatal((error) => this.status.fail(error));
    await this.consumer.run((batch, control) => this.take(batch, control));
    this.timer = setInterval(
      () => {
        // Not while a batch is being written: what arrives meanwhile joins the next batch (one
        // write at a time, so slow writes make bigger batches instead of a growing queue).
        if (this.oldest !== null && this.writing === 0 && Date.now() - this.oldest >= this.options.batchMs) void this.flush();
      },
      Math.max(10, Math.min(250, Math.floor(this.options.batchMs / 4))),
    );
  }

  /** Stops fetching and writes what is buffered; the consumer stays in its group (the commit needs it). */
  async drain(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.consumer.pause(this.options.topic);
    await this.flush();
  }

  /** Leaves the group. */
  async close(): Promise<void> {
    await this.consumer.disconnect();
    await this.parser.close();
  }

  /** Commits up to and including `last` per partition; returns each partition's lag after it (when known). */
  async commit(last: ReadonlyMap<number, bigint>): Promise<Array<[number, number]>> {
    await this.consumer.commit(this.options.topic, [...last].map(([partition, offset]) => ({ partition, offset: (offset + 1n).toString() })));
    return this.lags(last);
  }

  /** Each partition's messages behind `last` at its last fetch. */
  lags(last: ReadonlyMap<number, bigint>): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const [p, offset] of last) {
      const high = this.highWatermarks.get(p);
      if (high !== undefined) out.push([p, Number(high - offset - 1n > 0n ? high - offset - 1n : 0n)]);
    }
    return out;
  }

  /** Writes the buffer (serialised: one batch at a time, in order). */
  flush(): Promise<void> {
    const messages = this.buffer;
    const parsing = this.parsing;
    this.buffer = [];
    this.parsing = [];
    this.oldest = null;
    if (messages.length === 0) return this.chain;
    this.writing++;
    this.chain = this.chain
      .then(() => (this.status.failure ? undefined : this.write({ messages, parsing })))
      .catch((error: unknown) => this.status.fail(error))
      .finally(() => {
        this.writing--;
      });
    return this.chain;
  }

  private async take(batch: FetchedBatch, control: FetchControl): Promise<void> {
    if (this.status.failure) throw this.status.failure;
    this.highWatermarks.set(batch.partition, BigInt(batch.highWatermark));
    const messages = batch.messages;
    let next = 0;
    while (next < messages.length) {
      // Whether the consumer still runs and owns the partition changes only while this loop
      // awaits, so it is checked once per stretch of messages, not once per message.
      if (!control.isRunning() || control.isStale() || this.status.stopped) break;
      const end = Math.min(messages.length, next + Math.max(1, this.options.batchSize - this.buffer.length));
      const from = next;
      for (; next < end; next++) {
        const m = messages[next];
        this.buffer.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp });
      }
      // The structural check of these messages starts now, on the parser's thread, while the
      // next ones are fetched; the batch's write awaits it (and reports its failure).
      const parsing = this.parser.parse(messages.slice(from, next).map((m) => m.value));
      parsing.catch(() => undefined);
      this.parsing.push(parsing);
      // Resolved = fetched on from here in this session; committed only after the batch is written.
      control.resolveOffset(messages[next - 1].offset);
      this.oldest ??= Date.now();
      if (this.buffer.length >= this.options.batchSize) {
        // Pipelined: at most one micro-batch is being written while the next one is fetched and
        // buffered. Wait for the write before this one (if any) to finish, then hand this batch
        // over and go on fetching; writes and commits still happen one at a time, in order.
        await this.chain;
        void this.flush();
        await control.heartbeat();
      }
    }
  }
}
