import { parentPort } from 'node:worker_threads';
import { parseBarBatch, type PackedValues } from './bar-batch.parser';

// The worker thread of BarBatchParser: checks one packed micro-batch per message.
parentPort?.on('message', ({ id, packed, maxBytes }: { id: number; packed: PackedValues; maxBytes: number }) => {
  try {
    const parsed = parseBarBatch(packed, maxBytes);
    parentPort?.postMessage({ id, parsed }, [parsed.ndjson.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
