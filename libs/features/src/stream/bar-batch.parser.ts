import { isUtf8 } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import { parseBarMessage, tsMillis } from './bar-message';

/** A micro-batch's message values, packed for a worker thread: one buffer, one end offset per message. */
export interface PackedValues {
  /** Every non-null value, back to back. */
  readonly bytes: Uint8Array;
  /** ends[i]: where message i's value ends in `bytes` (it starts where message i - 1's ends). */
  readonly ends: Int32Array;
  /** nulls[i] = 1: message i has no value (a tombstone). */
  readonly nulls: Uint8Array;
}

/** The structural check of a micro-batch (parseBarMessage on every message), as the worker returns it. */
export interface ParsedBarBatch {
  /** The NDJSON line of every message that is a bar, in message order, each ending in a newline. */
  readonly ndjson: Uint8Array;
  /** lineEnds[i]: where message i's line (newline included) ends in `ndjson`; -1: a dead letter. */
  readonly lineEnds: Int32Array;
  /** Why each dead letter is one: [message index, reason]. */
  readonly errors: ReadonlyArray<readonly [number, string]>;
  /** Per symbol, its oldest bar time in the batch (epoch ms), from every message that is a bar. */
  readonly oldest: ReadonlyArray<readonly [string, number]>;
}

/** Packs message values into one transferable buffer. */
export function packValues(values: ReadonlyArray<Buffer | null>): PackedValues {
  const ends = new Int32Array(values.length);
  const nulls = new Uint8Array(values.length);
  let size = 0;
  values.forEach((v, i) => {
    if (v === null) nulls[i] = 1;
    else size += v.length;
    ends[i] = size;
  });
  // Its own ArrayBuffer (not a slice of Node's pool), so it can be transferred without a copy.
  const bytes = new Uint8Array(new ArrayBuffer(size));
  let at = 0;
  for (const v of values) {
    if (v === null) continue;
    bytes.set(v, at);
    at += v.length;
  }
  return { bytes, ends, nulls };
}

/**
 * Checks every message of a packed micro-batch; what a worker thread runs (and tests call
 * directly). A bar's line is its message as it came when that is one line of valid UTF-8 JSON
 * with only the bar's fields and a text ts (the ingestor reads those fields by name, so it sees
 * the same values), and the checked row written anew otherwise: most messages are copied, not
 * rewritten. (A duplicate field passes JSON.parse but not DuckDB: the stream then checks the
 * whole batch again with `asIsAllowed` false, every bar written anew; see StreamIngestor.)
 */
export function parseBarBatch(packed: PackedValues, maxBytes: number, asIsAllowed = true): ParsedBarBatch {
  const all = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const count = packed.ends.length;
  const lines: Uint8Array[] = [];
  const lineEnds = new Int32Array(count);
  const errors: Array<[number, string]> = [];
  const oldest = new Map<string, number>();
  let start = 0;
  let length = 0;
  for (let i = 0; i < count; i++) {
    const end = packed.ends[i];
    const value = packed.nulls[i] ? null : all.subarray(start, end);
    start = end;
    const parsed = parseBarMessage(value, maxBytes);
    if ('error' in parsed) {
      errors.push([i, parsed.error]);
      lineEnds[i] = -1;
      continue;
    }
    // A numeric ts is rewritten: DuckDB reads it as text, and `1704067200.0` would not parse.
    const asIs =
      asIsAllowed && value !== null && typeof parsed.row.ts === 'string' && parsed.fields === Object.keys(parsed.row).length && value.indexOf(0x0a) < 0 && value.indexOf(0x0d) < 0 && isUtf8(value);
    const line = asIs ? value : Buffer.from(JSON.stringify(parsed.row));
    lines.push(line);
    length += line.length + 1;
    lineEnds[i] = length;
    const symbol = String(parsed.row.symbol);
    const t = tsMillis(parsed.row.ts);
    if (symbol === '' || !Number.isFinite(t)) continue;
    const prior = oldest.get(symbol);
    if (prior === undefined || t < prior) oldest.set(symbol, t);
  }
  const ndjson = new Uint8Array(new ArrayBuffer(length));
  let at = 0;
  for (const line of lines) {
    ndjson.set(line, at);
    at += line.length;
    ndjson[at++] = 0x0a;
  }
  return { ndjson, lineEnds, errors, oldest: [...oldest] };
}

/** The checks of consecutive runs of messages as one: message indexes and line ends run on. */
export function mergeParsed(parts: readonly ParsedBarBatch[]): ParsedBarBatch {
  if (parts.length === 1) return parts[0];
  const count = parts.reduce((n, p) => n + p.lineEnds.length, 0);
  const lineEnds = new Int32Array(count);
  const errors: Array<[number, string]> = [];
  const oldest = new Map<string, number>();
  let at = 0;
  let bytes = 0;
  for (const part of parts) {
    part.lineEnds.forEach((end, i) => (lineEnds[at + i] = end < 0 ? -1 : bytes + end));
    for (const [i, reason] of part.errors) errors.push([at + i, reason]);
    for (const [symbol, t] of part.oldest) {
      const prior = oldest.get(symbol);
      if (prior === undefined || t < prior) oldest.set(symbol, t);
    }
    at += part.lineEnds.length;
    bytes += part.ndjson.byteLength;
  }
  const ndjson = Buffer.concat(parts.map((p) => p.ndjson));
  return { ndjson, lineEnds, errors, oldest: [...oldest] };
}

interface Pending {
  /** The thread the request went to: only its failure fails the request. */
  readonly worker: Worker;
  readonly resolve: (parsed: ParsedBarBatch) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Runs the structural check of micro-batches on a worker thread, so that parsing a batch (a
 * third of the stream worker's CPU) overlaps fetching and decoding the next one on the main
 * thread. Values go over packed in one transferred buffer, lines come back the same way.
 */
export class BarBatchParser {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly maxBytes: number) {}

  parse(values: ReadonlyArray<Buffer | null>): Promise<ParsedBarBatch> {
    const packed = packValues(values);
    const worker = this.started();
    const id = this.nextId++;
    worker.ref();
    return new Promise<ParsedBarBatch>((resolve, reject) => {
      this.pending.set(id, { worker, resolve, reject });
      worker.postMessage({ id, packed, maxBytes: this.maxBytes }, [packed.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    // Under ts-node-style loaders (the CLI's swc register, jest) this file is TypeScript: the
    // worker registers the same loader before loading its entry.
    const entry = __filename.replace(/\.parser\.(ts|js)$/, '.worker.$1');
    const worker = entry.endsWith('.ts')
      ? new Worker(`require('@swc-node/register'); require(${JSON.stringify(entry)});`, { eval: true })
      : new Worker(entry);
    worker.on('message', (reply: { id: number; parsed?: ParsedBarBatch; error?: string }) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      // Idle, the thread must not keep a stopping process alive.
      if (this.pending.size === 0) worker.unref();
      if (reply.parsed) waiting.resolve(reply.parsed);
      else waiting.reject(new Error(`bar parser: ${reply.error ?? 'no answer'}`));
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [id, waiting] of this.pending) {
        if (waiting.worker !== worker) continue;
        this.pending.delete(id);
        waiting.reject(error);
      }
    };
    worker.on('error', (error) => failAll(error));
    worker.on('exit', (code) => failAll(new Error(`bar parser thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
