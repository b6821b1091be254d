import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DependencyError, ErrorCode, InvalidArgumentError } from '../../errors/feature-store.error';
import type { BarTiming } from '../../ingest/bar-timing';
import type { IngestResult } from '../../ingest/batch-ingestor';
import type { StreamCheckpointRepository } from '../../registry/stream-checkpoint.repository';
import type { Clock } from '../../util/clock';
import { sha256 } from '../../util/hash';
import { addDays, utcDay } from '../../util/time';
import type { MarketDataProvider, ProviderBatch } from '../market-data-provider';

export interface HttpProviderOptions {
  /** URL with `{symbol}`, `{start}` and `{end}` (YYYY-MM-DD, inclusive) placeholders. */
  readonly urlTemplate: string;
  readonly symbols: readonly string[];
  readonly since: Date;
  readonly dataset: string;
  readonly timing: BarTiming;
  readonly mapping?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly backoffMs?: number;
  /** Where responses are spooled before DuckDB reads them. */
  readonly tmpDir: string;
  /** Fetch everything from `since` again, ignoring the watermarks. */
  readonly full?: boolean;
}

/** What happened to one symbol's pull. */
export interface SymbolPull {
  readonly symbol: string;
  readonly url?: string;
  readonly status: 'fetched' | 'up-to-date' | 'failed';
  readonly attempts: number;
  readonly error?: string;
}

const ARRAY_KEYS = ['data', 'bars', 'results', 'candles', 'prices', 'values', 'items', 'rows'];

/**
 * Pulls bars per symbol from an HTTP market-data API that answers JSON (an array of bars, or an
 * object holding one) or CSV. Timeouts, retries with exponential backoff on 429/5xx and network
 * errors (Retry-After honoured), and a watermark per (dataset, URL template, symbol) so the next
 * run asks only for bars after the last one it got.
 */
export class HttpJsonProvider implements MarketDataProvider {
  readonly name = 'http';
  readonly pulls: SymbolPull[] = [];

  constructor(
    private readonly options: HttpProviderOptions,
    private readonly registry: Pick<StreamCheckpointRepository, 'getWatermark' | 'setWatermark'>,
    private readonly clock: Clock,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    if (!/\{symbol\}/.test(options.urlTemplate)) {
      throw new InvalidArgumentError('url template must contain {symbol}', { field: 'url' });
    }
    try {
      new URL(options.urlTemplate.replace(/\{(symbol|start|end)\}/g, 'x'));
    } catch {
      throw new InvalidArgumentError(`url template is not a URL: ${options.urlTemplate}`, { field: 'url' });
    }
    if (options.symbols.length === 0) throw new InvalidArgumentError('symbols: at least one symbol is required', { field: 'symbols' });
  }

  async *batches(): AsyncIterable<ProviderBatch> {
    await mkdir(this.options.tmpDir, { recursive: true });
    const end = utcDay(this.clock.now());
    for (const symbol of this.options.symbols) {
      const key = this.watermarkKey(symbol);
      const watermark = this.options.full ? undefined : await this.registry.getWatermark(key);
      const start = watermark ? nextStartDay(watermark, this.options.timing) : utcDay(this.options.since);
      if (start > end) {
        this.pulls.push({ symbol, status: 'up-to-date', attempts: 0 });
        continue;
      }
      const url = this.options.urlTemplate
        .replace(/\{symbol\}/g, encodeURIComponent(symbol))
        .replace(/\{start\}/g, start)
        .replace(/\{end\}/g, end);
      let body: { text: string; format: 'csv' | 'ndjson' };
      let attempts = 0;
      try {
        body = await this.fetchWithRetry(url, (n) => (attempts = n));
      } catch (error) {
        this.pulls.push({ symbol, url, status: 'failed', attempts, error: (error as Error).message });
        continue;
      }
      this.pulls.push({ symbol, url, status: 'fetched', attempts });
      if (body.text.trim() === '') continue;
      const path = join(this.options.tmpDir, `http-${randomBytes(8).toString('hex')}.${body.format}`);
      await writeFile(path, body.text);
      yield {
        source: { kind: 'file', path, format: body.format, identity: sha256('http', url, body.text), label: url },
        timing: this.options.timing,
        constants: { symbol },
        mapping: this.options.mapping,
        // Providers often include today's bar while it is still forming: only closed bars land.
        keepUntil: this.clock.now(),
        committed: async (result: IngestResult) => {
          const maxTs = result.maxTs;
          if (maxTs && (!watermark || maxTs > watermark)) await this.registry.setWatermark(key, maxTs);
        },
        release: () => rm(path, { force: true }),
      };
    }
  }

  private watermarkKey(symbol: string): string {
    return `${this.options.dataset}|${this.options.urlTemplate}|${symbol}`;
  }

  private async fetchWithRetry(url: string, onAttempt: (n: number) => void): Promise<{ text: string; format: 'csv' | 'ndjson' }> {
    const retries = this.options.retries ?? 4;
    const backoff = this.options.backoffMs ?? 500;
    let lastError = '';
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      onAttempt(attempt);
      let waitMs = backoff * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      try {
        const response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
        const text = await response.text();
        if (response.ok) return toBarsFile(text, response.headers.get('content-type') ?? '', url);
        lastError = `HTTP ${response.status} from ${url}`;
        if (response.status !== 429 && response.status < 500) break;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) waitMs = Math.min(retryAfter * 1000, 60_000);
      } catch (error) {
        if (error instanceof DependencyError) throw error;
        const e = error as Error;
        lastError = e.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs ?? 10_000} ms: ${url}` : `${e.message}: ${url}`;
      }
      if (attempt <= retries) await new Promise((r) => setTimeout(r, waitMs));
    }
    throw new DependencyError(ErrorCode.ProviderFailed, lastError);
  }
}

/** The first day to ask for after a watermark (the last bar's close time). */
export function nextStartDay(lastClose: string, timing: BarTiming): string {
  const close = new Date(lastClose);
  switch (timing.kind) {
    case 'start':
      return utcDay(addDays(new Date(close.getTime() - timing.interval.seconds * 1000), 1));
    case 'session':
      // A calendar's close may be the next UTC midnight (24/7): the bar's date is the day before it.
      return utcDay(addDays(timing.calendar ? new Date(close.getTime() - 1) : close, 1));
    case 'close':
      return utcDay(close);
  }
}

/** Normalises a provider's answer into a file DuckDB reads: CSV as is, JSON as NDJSON bars. */
export function toBarsFile(text: string, contentType: string, url: string): { text: string; format: 'csv' | 'ndjson' } {
  const looksJson = /json/i.test(contentType) || /^\s*[[{]/.test(text);
  if (!looksJson) return { text, format: 'csv' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DependencyError(ErrorCode.ProviderFailed, `${url} answered invalid JSON`);
  }
  const rows = findRows(parsed);
  if (!rows) throw new DependencyError(ErrorCode.ProviderFailed, `${url} answered JSON without an array of bars`);
  return { text: rows.map((r) => JSON.stringify(r)).join('\n'), format: 'ndjson' };
}

function findRows(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ARRAY_KEYS) if (Array.isArray(record[key])) return record[key] as unknown[];
    const arrays = Object.values(record).filter(Array.isArray);
    if (arrays.length === 1) return arrays[0] as unknown[];
  }
  return undefined;
}
