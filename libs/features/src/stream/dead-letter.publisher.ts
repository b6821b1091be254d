import type { OutgoingMessage, TopicProducer } from './kafka/kafka-client';
import type { BufferedMessage } from './micro-batch.consumer';

/** A message that cannot become a lake row, and why. */
export interface DeadLetter {
  readonly message: BufferedMessage;
  readonly reason: string;
}

/**
 * Sends dead letters to the dead-letter topic: the original key and bytes, the reason and where
 * the message came from in headers. A send waits for every in-sync replica, so the offsets move
 * on only once the letters are safe.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly producer: TopicProducer,
    private readonly topic: string,
    private readonly sourceTopic: string,
  ) {}

  /** Sends the letters (nothing when there are none). */
  async publish(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length > 0) await this.producer.send(this.topic, letters.map((letter) => this.toMessage(letter)));
  }

  private toMessage({ message, reason }: DeadLetter): OutgoingMessage {
    return {
      key: message.key,
      value: message.value,
      headers: {
        'x-error': reason,
        'x-original-topic': this.sourceTopic,
        'x-original-partition': String(message.partition),
        'x-original-offset': message.offset,
        'x-original-timestamp': message.timestamp,
        // The bytes as they arrived (also the value of the dead letter).
        'x-original-value': message.value ?? Buffer.alloc(0),
      },
    };
  }
}
