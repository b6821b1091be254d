import type { StreamCheckpointRepository } from '../registry/stream-checkpoint.repository';
import type { BufferedMessage } from './micro-batch.consumer';

/**
 * Per partition, the last offset whose batch is in the lake, kept in the registry. A worker that
 * crashed after writing and before committing gets those messages again: the watermark says they
 * are stored already.
 */
export class OffsetWatermarks {
  constructor(
    private readonly registry: Pick<StreamCheckpointRepository, 'getWatermark' | 'setWatermarks'>,
    private readonly group: string,
    private readonly topic: string,
  ) {}

  /** For each message, whether it is past its partition's watermark (not stored yet). */
  async freshMask(messages: readonly BufferedMessage[]): Promise<boolean[]> {
    const stored = new Map<number, bigint>();
    for (const p of new Set(messages.map((m) => m.partition))) {
      const mark = await this.registry.getWatermark(this.key(p));
      stored.set(p, mark === undefined ? -1n : BigInt(mark));
    }
    return messages.map((m) => BigInt(m.offset) > stored.get(m.partition)!);
  }

  /** Records, per partition, the last offset now stored. */
  async record(last: ReadonlyMap<number, bigint>): Promise<void> {
    await this.registry.setWatermarks(Object.fromEntries([...last].map(([p, offset]) => [this.key(p), offset.toString()])));
  }

  private key(partition: number): string {
    return `stream/${this.group}/${this.topic}/${partition}`;
  }
}

/** The highest offset of each partition among `messages`. */
export function lastOffsets(messages: readonly BufferedMessage[]): Map<number, bigint> {
  const last = new Map<number, bigint>();
  for (const m of messages) {
    const offset = BigInt(m.offset);
    const prior = last.get(m.partition);
    if (prior === undefined || offset > prior) last.set(m.partition, offset);
  }
  return last;
}
