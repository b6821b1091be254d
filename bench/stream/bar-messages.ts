import type { Kafka, Message } from 'kafkajs';
import { syntheticSymbol } from '@app/features';

export const DAY_MS = 86_400_000;

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The bar of symbol number `s` (0-based) on `day` as a stream message keyed by symbol: a
 * deterministic random walk per symbol (`state` holds each symbol's last close), so every run
 * sends the same valid bars (low <= open, close <= high).
 */
export function barMessage(symbol: string, tsMs: number, state: number[], s: number, day: number): Message {
  const open = state[s];
  const r = Math.sin(s * 12.9898 + day * 78.233) * 43758.5453;
  const move = (r - Math.floor(r) - 0.5) * 0.04;
  const close = Math.max(0.01, open * (1 + move));
  state[s] = close;
  const high = Math.max(open, close) * 1.005;
  const low = Math.min(open, close) * 0.995;
  const value = JSON.stringify({ symbol, ts: new Date(tsMs).toISOString(), open: round6(open), high: round6(high), low: round6(low), close: round6(close), volume: 1000 + ((day * 7919 + s * 104729) % 100000) });
  return { key: symbol, value };
}

/**
 * Produces `symbols` x `days` bars in time order as fast as the broker takes them: requests of
 * 5,000 messages, 4 in flight, acks=1.
 */
export async function produceAll(kafka: Kafka, topic: string, symbols: number, days: number): Promise<{ ms: number; bytes: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const state = Array.from({ length: symbols }, (_, i) => 20 + (i % 500));
  const first = Date.parse('2024-01-01T00:00:00Z');
  const chunk = 5000;
  const inFlight = new Set<Promise<unknown>>();
  let bytes = 0;
  const started = performance.now();
  try {
    let messages: Message[] = [];
    for (let day = 0; day < days; day++) {
      for (let s = 0; s < symbols; s++) {
        const m = barMessage(syntheticSymbol(s + 1), first + day * DAY_MS, state, s, day);
        bytes += (m.value as string).length;
        messages.push(m);
        if (messages.length === chunk) {
          const p: Promise<unknown> = producer.send({ topic, acks: 1, messages }).finally(() => inFlight.delete(p));
          inFlight.add(p);
          messages = [];
          if (inFlight.size >= 4) await Promise.race(inFlight);
        }
      }
    }
    if (messages.length) await producer.send({ topic, acks: 1, messages });
    await Promise.all(inFlight);
    return { ms: performance.now() - started, bytes };
  } finally {
    await producer.disconnect();
  }
}
