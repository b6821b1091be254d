/** A fetched message, as the stream keeps it (a kafkajs message fits as it is: no copy per message). */
export interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
}

/** One partition's messages of one fetch. */
export interface FetchedBatch {
  readonly partition: number;
  /** The partition's end offset when fetched (for the lag). */
  readonly highWatermark: string;
  readonly messages: readonly FetchedMessage[];
}

/** What a batch handler may ask while it takes a fetched batch. */
export interface FetchControl {
  /** False once the consumer stops. */
  isRunning(): boolean;
  /** True once a rebalance moved the partition away: the rest of the batch is not ours. */
  isStale(): boolean;
  /** Marks the messages up to `offset` as fetched in this session (not committed). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
}

/** A message to send, e.g. a dead letter. */
export interface OutgoingMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string | Buffer>>;
}

/** A consumer-group member on one topic, committing offsets itself. */
export interface GroupConsumer {
  connect(): Promise<void>;
  /** Subscribes from the beginning (a new group reads the whole topic). */
  subscribe(topic: string): Promise<void>;
  /** Starts fetching; `handle` gets each batch, one at a time per partition. */
  run(handle: (batch: FetchedBatch, control: FetchControl) => Promise<void>): Promise<void>;
  /** Called on each (re)join of the group: fetching starts again from the committed offsets. */
  onJoin(listener: () => void): void;
  /** Called when the consumer crashed and will not restart by itself. */
  onFatal(listener: (error: Error) => void): void;
  pause(topic: string): void;
  /** Commits, per partition, the offset of the next message to read. */
  commit(topic: string, offsets: ReadonlyArray<{ readonly partition: number; readonly offset: string }>): Promise<void>;
  disconnect(): Promise<void>;
}

/** A producer whose sends wait for every in-sync replica. */
export interface TopicProducer {
  connect(): Promise<void>;
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** The broker as the stream sees it; the driver is `drivers/kafkajs.client.ts`. */
export interface KafkaClient {
  consumer(group: string): GroupConsumer;
  producer(): TopicProducer;
  /** Creates the topics that do not exist yet (the broker's default partitions). */
  ensureTopics(topics: readonly string[]): Promise<void>;
}
