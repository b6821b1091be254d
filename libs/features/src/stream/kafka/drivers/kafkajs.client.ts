import { Kafka, logLevel, type Admin, type Consumer, type ITopicConfig, type Producer } from 'kafkajs';
import type { FetchedBatch, FetchControl, GroupConsumer, KafkaClient, OutgoingMessage, TopicProducer } from '../kafka-client';

// KAFKAJS_LOG_LEVEL=info|debug shows the client's own log (rebalances, reconnects) on stderr.
const LOG_LEVELS: Record<string, logLevel> = { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG };

/** Retries without end (with a 5 s cap): the worker rides out a broker restart instead of exiting. */
const FOREVER = { retries: 1_000_000, maxRetryTime: 5000 };

/** The kafkajs driver of KafkaClient. */
export class KafkajsClient implements KafkaClient {
  private readonly kafka: Kafka;

  constructor(options: { readonly brokers: readonly string[]; readonly clientId: string }) {
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      logLevel: LOG_LEVELS[process.env.KAFKAJS_LOG_LEVEL ?? ''] ?? logLevel.NOTHING,
      retry: { initialRetryTime: 300, ...FOREVER },
    });
  }

  consumer(group: string): GroupConsumer {
    return new KafkajsGroupConsumer(this.kafka.consumer({ groupId: group, sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 1000, retry: FOREVER }));
  }

  producer(): TopicProducer {
    return new KafkajsProducer(this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false, retry: FOREVER }));
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await createTopics(admin, topics.map((topic) => ({ topic })));
    } finally {
      await admin.disconnect();
    }
  }
}

class KafkajsGroupConsumer implements GroupConsumer {
  constructor(private readonly consumer: Consumer) {}

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  subscribe(topic: string): Promise<void> {
    return this.consumer.subscribe({ topic, fromBeginning: true });
  }

  run(handle: (batch: FetchedBatch, control: FetchControl) => Promise<void>): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, isRunning, isStale, resolveOffset, heartbeat }) => handle(batch, { isRunning, isStale, resolveOffset, heartbeat }),
    });
  }

  onJoin(listener: () => void): void {
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => listener());
  }

  onFatal(listener: (error: Error) => void): void {
    // kafkajs restarts the consumer itself after retriable errors (a broker restart).
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) listener(event.payload.error);
    });
  }

  pause(topic: string): void {
    this.consumer.pause([{ topic }]);
  }

  commit(topic: string, offsets: ReadonlyArray<{ readonly partition: number; readonly offset: string }>): Promise<void> {
    return this.consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic, partition, offset })));
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

class KafkajsProducer implements TopicProducer {
  constructor(private readonly producer: Producer) {}

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })) });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/**
 * Creates the topics that do not exist yet and waits for their leaders. A broker that has just
 * started can answer a retriable error (UNKNOWN_TOPIC_OR_PARTITION while its metadata catches up)
 * after kafkajs's own retries: tried again, up to 5 times a second apart, before giving up.
 */
export async function createTopics(admin: Admin, topics: readonly ITopicConfig[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    try {
      if (missing.length > 0) await admin.createTopics({ topics: [...missing], waitForLeaders: true });
      await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      return;
    } catch (error) {
      if (attempt >= 5 || !(error as { retriable?: boolean }).retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
