import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, FeatureStoreError } from '../errors/feature-store.error';
import type { BatchIngestor, IngestResult, RowError } from '../ingest/batch-ingestor';
import { sha256 } from '../util/hash';
import { mergeParsed, packValues, parseBarBatch, type ParsedBarBatch } from './bar-batch.parser';
import { BAR_FIELDS, parseBarMessage, tsMillis } from './bar-message';
import type { DeadLetter } from './dead-letter.publisher';
import type { BufferedMessage, MicroBatch } from './micro-batch.consumer';

/** What writing a micro-batch did. */
export interface WrittenBatch {
  /** The lake batch (null when no row was written). */
  readonly result: IngestResult | null;
  /** Fresh messages that are not bars or whose row failed a check, with the reason. */
  readonly deadLetters: readonly DeadLetter[];
  /**
   * Per symbol, its oldest bar (epoch ms) among the fresh rows that passed every check and the
   * re-delivered ones that pass the structural check (time range included; a crash between the
   * watermark and the commit is healed by the replay): where the symbol's online refresh starts.
   * A dead letter never moves it.
   */
  readonly refreshFrom: ReadonlyMap<string, number>;
}

/**
 * The batch writer: a micro-batch's fresh bars become one lake batch through the batch ingestor
 * (its checks, deduplication and atomic rename). The batch's identity is its offset ranges, so an
 * exact replay writes nothing.
 */
export class StreamBatchWriter {
  constructor(
    private readonly ingestor: BatchIngestor,
    private readonly tmpDir: string,
    private readonly options: { readonly dataset: string; readonly topic: string; readonly maxMessageBytes: number },
  ) {}

  /** Writes the messages marked fresh (the others are stored already) and sorts out the dead letters. */
  async write(batch: MicroBatch, fresh: readonly boolean[]): Promise<WrittenBatch> {
    const all = batch.messages;
    const parsed = mergeParsed(await Promise.all(batch.parsing));
    if (parsed.lineEnds.length !== all.length) throw new Error(`stream: ${parsed.lineEnds.length} messages checked for a batch of ${all.length}`);
    const reasons = new Map<number, string>(parsed.errors);
    const deadLetters: DeadLetter[] = [];
    const rowMessages: BufferedMessage[] = [];
    const lineSlices: Array<[number, number]> = [];
    let lineStart = 0;
    all.forEach((m, i) => {
      const lineEnd = parsed.lineEnds[i];
      if (lineEnd < 0) {
        if (fresh[i]) deadLetters.push({ message: m, reason: reasons.get(i) ?? 'not a bar' });
        return;
      }
      if (fresh[i]) {
        rowMessages.push(m);
        lineSlices.push([lineStart, lineEnd]);
      }
      lineStart = lineEnd;
    });
    if (rowMessages.length === 0) return { result: null, deadLetters, refreshFrom: new Map(parsed.oldest) };

    // Usually every message is fresh: the parser's text is the file as it is.
    const ndjson = parsed.ndjson;
    const content = lineSlices.length === all.length - parsed.errors.length ? ndjson : Buffer.concat(lineSlices.map(([from, to]) => ndjson.subarray(from, to)));
    let outcome: { result: IngestResult | null; rejected: readonly RowError[] };
    try {
      outcome = await this.ingest(content, rowMessages);
    } catch (error) {
      // The file holds most bars as they came; if DuckDB cannot read it where JSON.parse could
      // (e.g. a duplicate field, which JSON.parse resolves to the last), every bar is written anew
      // from its checked row and tried once more, before the batch fails the worker.
      if (!(error instanceof FeatureStoreError) || error.code !== ErrorCode.InvalidArgument) throw error;
      const rewritten = parseBarBatch(packValues(rowMessages.map((m) => m.value)), this.options.maxMessageBytes, false);
      outcome = await this.ingest(rewritten.ndjson, rowMessages);
    }
    const rejected = new Set<BufferedMessage>();
    for (const bad of outcome.rejected) {
      const message = rowMessages[bad.row - 1];
      rejected.add(message);
      deadLetters.push({ message, reason: bad.message });
    }
    const refreshFrom = rejected.size === 0 ? new Map(parsed.oldest) : oldestAccepted(all, parsed, rejected);
    return { result: outcome.result, deadLetters, refreshFrom };
  }

  // One lake batch, and every row it rejected (the ingestor lists them all, in row order).
  private async ingest(ndjson: Uint8Array, messages: readonly BufferedMessage[]): Promise<{ result: IngestResult | null; rejected: readonly RowError[] }> {
    await mkdir(this.tmpDir, { recursive: true });
    const path = join(this.tmpDir, `stream-${randomBytes(6).toString('hex')}.ndjson`);
    // One synchronous write (tens of ms for 100k rows): the promise version writes 512 KiB
    // chunks, each waiting for a turn of an event loop busy decoding fetches (seconds per batch).
    writeFileSync(path, ndjson);
    try {
      const result = await this.ingestor.ingest({
        dataset: this.options.dataset,
        source: { kind: 'file', path, format: 'ndjson', identity: this.identity(messages), label: `kafka ${this.options.topic}`, fields: BAR_FIELDS },
        timing: { kind: 'close' },
        createAs: 'bars',
        maxReportedErrors: messages.length,
      });
      return { result, rejected: result.errors };
    } catch (error) {
      if (error instanceof FeatureStoreError && error.code === ErrorCode.NothingIngested) {
        const details = error.details as { errors?: readonly RowError[] } | undefined;
        return { result: null, rejected: details?.errors ?? [] };
      }
      throw error;
    } finally {
      await rm(path, { force: true });
    }
  }

  // The micro-batch's offset ranges per partition: the same messages again are the same batch.
  private identity(messages: readonly BufferedMessage[]): string {
    const ranges = new Map<number, [string, string]>();
    for (const m of messages) {
      const r = ranges.get(m.partition);
      ranges.set(m.partition, r ? [r[0], m.offset] : [m.offset, m.offset]);
    }
    return sha256('kafka', this.options.topic, JSON.stringify([...ranges].sort((a, b) => a[0] - b[0])));
  }
}

// The oldest bar per symbol, leaving out the rows the ingestor rejected (rare: read again here).
function oldestAccepted(all: readonly BufferedMessage[], parsed: ParsedBarBatch, rejected: ReadonlySet<BufferedMessage>): Map<string, number> {
  const oldest = new Map<string, number>();
  all.forEach((m, i) => {
    if (parsed.lineEnds[i] < 0 || rejected.has(m)) return;
    const one = parseBarMessage(m.value, Number.POSITIVE_INFINITY);
    if ('error' in one) return;
    const symbol = String(one.row.symbol);
    const t = tsMillis(one.row.ts);
    if (!Number.isFinite(t)) return;
    const prior = oldest.get(symbol);
    if (prior === undefined || t < prior) oldest.set(symbol, t);
  });
  return oldest;
}
