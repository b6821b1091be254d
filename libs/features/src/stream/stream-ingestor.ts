import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload, type IHeaders, type ITopicConfig, type Producer } from 'kafkajs';
import { ErrorCode, FeatureStoreError } from '../errors/feature-store.error';
import type { BatchIngestor, IngestResult } from '../ingest/batch-ingestor';
import type { MaterializationService } from '../materialize/materialization.service';
import { lookbackMs, type OnlineRefresh } from '../online-refresh/online-refresh.service';
import type { RecentRowsCache } from '../online-refresh/recent-rows.cache';
import type { DatasetRegistry, PendingEntry, PendingRefresh } from '../registry/registry';
import { sha256 } from '../util/hash';
import { BarBatchParser, mergeParsed, packValues, parseBarBatch, type ParsedBarBatch } from './bar-batch.parser';
import { BAR_FIELDS } from './bar-message';

export interface StreamOptions {
  readonly brokers: readonly string[];
  readonly dataset: string;
  readonly topic: string;
  readonly group: string;
  /** Dead-letter topic (default `<topic>.dlq`). */
  readonly dlqTopic?: string;
  /** A micro-batch is written when it holds this many messages… */
  readonly batchSize: number;
  /** …or when its oldest message has waited this long. */
  readonly batchMs: number;
  /** Larger messages go to the dead-letter topic unread. */
  readonly maxMessageBytes: number;
  readonly clientId?: string;
  /**
   * How often the registry's pending refreshes are scanned for entries nobody is working on (left
   * by a worker that stopped or left the group): an entry unchanged over a whole interval is
   * adopted and refreshed here (default 60 s).
   */
  readonly pendingScanMs?: number;
}

/** What the worker reports (the CLI turns it into Prometheus metrics). */
export interface StreamObserver {
  batch(stats: StreamBatchStats): void;
  lag(partition: number, lag: number): void;
  /** One online refresh of the stream views: keys refreshed, rows written, keys still waiting. */
  refresh(stats: StreamRefreshStats): void;
  /** An online refresh of a view version failed (its symbols stay pending; it is tried again). */
  refreshError(view: string, message: string): void;
}

export interface StreamRefreshStats {
  /** The view version refreshed, as `view@version`. */
  readonly view: string;
  /** Where it was refreshed: its first refresh alone, the shared pass of the cheap views, or its own spaced runner (see StreamIngestor.kickRefresh). */
  readonly runner: 'probe' | 'shared' | 'slow';
  readonly keys: number;
  readonly onlineRows: number;
  readonly ms: number;
  /** Keys waiting for the next refresh when this one ended. */
  readonly pending: number;
}

export interface StreamBatchStats {
  readonly messages: number;
  readonly accepted: number;
  readonly deadLetters: number;
  /** Messages at or below the offset already written (re-deliveries after a crash): skipped. */
  readonly alreadyStored: number;
  readonly ms: number;
  /** Symbols written and not yet refreshed online, after this batch (see StreamRefreshStats). */
  readonly pendingRefresh: number;
}

export interface StreamTotals {
  messages: number;
  accepted: number;
  deadLetters: number;
  alreadyStored: number;
  batches: number;
  onlineRows: number;
  commitFailures: number;
}

interface Buffered {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
}

/**
 * The Kafka consumer-group worker: bar messages become lake files in micro-batches (by size and by
 * time). Per batch, in this order: skip messages already written (a per-partition offset
 * watermark in the registry), write the good rows through the batch ingestor (validated,
 * deduplicated, renamed into place), send the bad ones to the dead-letter topic with the reason and
 * the original bytes, refresh the online values of the `stream` views for the batch's symbols,
 * record the watermark, and only then commit the offsets. A crash at any point loses nothing;
 * what is re-delivered is skipped or superseded by the identical row.
 */
export class StreamIngestor {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private buffer: Buffered[] = [];
  /** The structural checks of the buffered messages, one per stretch taken, in order. */
  private parsing: Array<Promise<ParsedBarBatch>> = [];
  private oldest: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Micro-batches handed to `chain` and not yet written. */
  private writing = 0;
  private timer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private stopped = false;
  private readonly highWatermarks = new Map<number, bigint>();
  /** One online refresh lane per streaming view version (see kickRefresh), by `view@version`. */
  private readonly lanes = new Map<string, RefreshLane>();
  /** The runner of the lanes found cheap (see kickRefresh). */
  private readonly shared: RefreshRunner = newRunner('shared');
  private readonly runners = new Set<RefreshRunner>([this.shared]);
  /** The probe running (one at a time, see kickRefresh). */
  private probing: RefreshRunner | null = null;
  /** Each streaming view version's lookback in ms (Infinity: the whole history), as last listed. */
  private readonly lookbacks = new Map<string, number>();
  /** Wakes the pauses between a slow lane's refreshes when the worker stops. */
  private readonly pauses = new Set<() => void>();
  private scanTimer: NodeJS.Timeout | null = null;
  /** The registry's pending entries at the previous scan, with their `n` (see adoptOrphans). */
  private lastScan = new Map<string, number>();
  readonly totals: StreamTotals = { messages: 0, accepted: 0, deadLetters: 0, alreadyStored: 0, batches: 0, onlineRows: 0, commitFailures: 0 };
  /** Why the last offset commit failed, if one did (see totals.commitFailures). */
  lastCommitError: string | null = null;
  private readonly parser: BarBatchParser;
  private readonly failureListeners: Array<(error: Error) => void> = [];

  constructor(
    private readonly ingestor: BatchIngestor,
    private readonly registry: DatasetRegistry,
    private readonly materializer: MaterializationService,
    private readonly tmpDir: string,
    private readonly options: StreamOptions,
    private readonly observer: StreamObserver | null = null,
  ) {
    this.kafka = new Kafka({
      clientId: options.clientId ?? `feature-store-${options.group}`,
      brokers: [...options.brokers],
      // KAFKAJS_LOG_LEVEL=info|debug shows the client's own log (rebalances, reconnects) on stderr.
      logLevel: ({ error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as Record<string, logLevel>)[process.env.KAFKAJS_LOG_LEVEL ?? ''] ?? logLevel.NOTHING,
      // Keep retrying while the broker restarts: the worker rides it out instead of exiting.
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 1_000_000 },
    });
    this.parser = new BarBatchParser(options.maxMessageBytes);
    this.consumer = this.kafka.consumer({ groupId: options.group, sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 1000, retry: { retries: 1_000_000, maxRetryTime: 5000 } });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false, retry: { retries: 1_000_000, maxRetryTime: 5000 } });
  }

  get dlqTopic(): string {
    return this.options.dlqTopic ?? `${this.options.topic}.dlq`;
  }

  /** Calls `listener` when a batch cannot be written (the worker stops; nothing is committed). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  async start(): Promise<void> {
    // Symbols a previous run wrote but did not refresh online before it stopped (or crashed).
    const versions = new Set(await this.streamLanes());
    for (const [entryKey, entry] of Object.entries(await this.registry.getPendingRefresh(this.pendingSetName))) {
      const [lane, symbol] = splitPendingKey(entryKey);
      if (versions.has(lane)) addPending(this.lane(lane), symbol, entry);
    }
    for (const lane of this.lanes.values()) this.kickRefresh(lane);
    this.scanTimer = setInterval(() => {
      this.adoptOrphans().catch((error: unknown) => this.observer?.refreshError('pending-scan', (error as Error).message));
    }, this.options.pendingScanMs ?? 60_000);
    this.scanTimer.unref();
    await this.ensureTopics();
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    // A rejoin (rebalance, or a restart after the broker came back) fetches again from the
    // committed offsets: what is still buffered would be read twice, so it is dropped.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.buffer = [];
      this.parsing = [];
      this.oldest = null;
    });
    // kafkajs restarts the consumer after retriable errors (a broker restart); anything else stops the worker.
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (!event.payload.restart) this.fail(event.payload.error);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.take(payload),
    });
    this.timer = setInterval(() => {
      // Not while a batch is being written: what arrives meanwhile joins the next batch (one
      // write at a time, so slow writes make bigger batches instead of a growing queue).
      if (this.oldest !== null && this.writing === 0 && Date.now() - this.oldest >= this.options.batchMs) void this.flush();
    }, Math.max(10, Math.min(250, Math.floor(this.options.batchMs / 4))));
  }

  /** Graceful stop (SIGTERM): writes and commits what is buffered, then leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.scanTimer) clearInterval(this.scanTimer);
    // No new messages into the buffer; the commit needs the consumer still in its group.
    this.consumer.pause([{ topic: this.options.topic }]);
    await this.flush();
    for (const wake of this.pauses) wake();
    // Until every runner is idle: a lane placed meanwhile may set another one going again.
    for (let busy = [...this.runners].filter((r) => r.running); busy.length > 0; busy = [...this.runners].filter((r) => r.running)) {
      await Promise.allSettled(busy.map((r) => r.running));
    }
    for (const runner of this.runners) {
      runner.cache?.close();
      runner.cache = null;
    }
    for (const lane of this.lanes.values()) {
      // Symbols held after a failure stay pending in the registry for the next start (a retry
      // timer that fires meanwhile sees `stopped` and does nothing).
      if (lane.retry) clearTimeout(lane.retry);
      lane.retry = null;
    }
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.parser.close();
  }

  // The topic and its dead-letter topic, created when missing (the broker's default partitions).
  private async ensureTopics(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await createTopics(admin, [this.options.topic, this.dlqTopic].map((topic) => ({ topic })));
    } finally {
      await admin.disconnect();
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const listener of this.failureListeners) listener(error);
  }

  private async take({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (this.failure) throw this.failure;
    this.highWatermarks.set(batch.partition, BigInt(batch.highWatermark));
    const messages = batch.messages;
    let next = 0;
    while (next < messages.length) {
      // Whether the consumer still runs and owns the partition changes only while this loop
      // awaits, so it is checked once per stretch of messages, not once per message.
      if (!isRunning() || isStale() || this.stopped) break;
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
      resolveOffset(messages[next - 1].offset);
      this.oldest ??= Date.now();
      if (this.buffer.length >= this.options.batchSize) {
        // Pipelined: at most one micro-batch is being written while the next one is fetched and
        // buffered. Wait for the write before this one (if any) to finish, then hand this batch
        // over and go on fetching; writes and commits still happen one at a time, in order.
        await this.chain;
        void this.flush();
        await heartbeat();
      }
    }
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
      .then(() => (this.failure ? undefined : this.write(messages, parsing)))
      .catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))))
      .finally(() => {
        this.writing--;
      });
    return this.chain;
  }

  // The registry's durable set of (view, symbol) entries awaiting an online refresh, shared by the group's workers.
  private get pendingSetName(): string {
    return `stream/${this.options.group}/${this.options.topic}`;
  }

  /**
   * Adopts pending refreshes nobody is working on: an entry of the registry's set unchanged since
   * the previous scan and not waiting in this worker is refreshed here (its writer stopped, or
   * left the group, before refreshing it). Two workers may both refresh one: harmless.
   */
  private async adoptOrphans(): Promise<void> {
    if (this.stopped || this.failure) return;
    const entries = await this.registry.getPendingRefresh(this.pendingSetName);
    const versions = new Set(await this.streamLanes());
    const seen = new Map<string, number>();
    for (const [entryKey, entry] of Object.entries(entries)) {
      seen.set(entryKey, entry.n);
      const [name, symbol] = splitPendingKey(entryKey);
      if (this.lastScan.get(entryKey) !== entry.n || !versions.has(name)) continue;
      const lane = this.lane(name);
      if (lane.pending.has(symbol) || lane.held.has(symbol)) continue;
      addPending(lane, symbol, entry);
      this.kickRefresh(lane);
    }
    this.lastScan = seen;
  }

  // The lanes a batch feeds: the materialised streaming view versions over the dataset, as `view@version`.
  private async streamLanes(): Promise<string[]> {
    return (await this.materializer.onlineTargets(this.options.dataset, true)).map((r) => {
      const name = `${r.name}@${r.version}`;
      this.lookbacks.set(name, lookbackMs(r.definition) ?? Number.POSITIVE_INFINITY);
      return name;
    });
  }

  private lane(name: string): RefreshLane {
    let lane = this.lanes.get(name);
    if (!lane) {
      const [view, version] = name.split('@');
      const runner = newRunner('probe');
      lane = { view, version: Number(version), runner, costMs: Number.POSITIVE_INFINITY, pending: new Map(), inRefresh: 0, failures: 0, held: new Map(), retry: null };
      runner.lanes.push(lane);
      this.runners.add(runner);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /**
   * Online values of the streaming views, refreshed off the write path. Every view version has a
   * lane (its symbols waiting); lanes are refreshed by runners, one pass at a time, each pass for
   * every symbol written since the previous one began (so a slow pass makes the next one bigger,
   * never a queue). A lane's first refresh runs in a runner of its own, which measures the view
   * (one such probe at a time, shortest lookback first, so the warm-up does not run every view's
   * first read from the lake at once).
   * A cheap view then joins the shared runner, whose pass reads the symbols' recent rows once
   * into its cache and runs each view's SQL over them, cheapest view first, writing each online
   * as soon as it is computed. A slow view (the catalog's `trend`: ten times `returns`), or one
   * that comes to take most of a shared pass, keeps a runner of its own, so that the others are
   * not held up by it, and its passes are spaced by their own length (about half a core at most),
   * so that it does not starve the lake writes and the other views of CPU either. After a pass, the lanes'
   * (view, symbol) entries are cleared from the registry's pending set; a crash before that
   * leaves them there: the next start refreshes them.
   */
  private kickRefresh(lane: RefreshLane): void {
    this.kickRunner(lane.runner);
  }

  private kickRunner(runner: RefreshRunner): void {
    if (runner.running || this.failure || !runner.lanes.some((l) => l.pending.size > 0)) return;
    if (runner.kind === 'probe') {
      if (this.probing) return;
      this.probing = runner;
    }
    runner.running = (async () => {
      // (Also while stopping: the last batch's symbols are refreshed before the worker exits.)
      while (!this.failure) {
        const pass = runner.lanes
          .filter((lane) => lane.pending.size > 0)
          .sort((a, b) => (a.costMs === b.costMs ? 0 : a.costMs < b.costMs ? -1 : 1))
          .map((lane) => {
            const done = Object.fromEntries(lane.pending);
            lane.inRefresh = lane.pending.size;
            lane.pending = new Map();
            return { lane, done };
          });
        if (pass.length === 0) break;
        const started = Date.now();
        try {
          await this.refreshPass(runner, pass);
        } finally {
          // (A lane that moved to another runner during the pass is counted there now.)
          for (const { lane } of pass) if (lane.runner === runner) lane.inRefresh = 0;
        }
        const took = Date.now() - started;
        if (runner.kind !== 'shared') this.place(runner);
        if (runner.kind === 'slow' && took > SLOW_PASS_MS && !this.stopped) await this.pause(took);
      }
    })().finally(() => {
      runner.running = null;
      if (this.probing === runner) {
        // The next probe: the waiting view with the shortest lookback (cheap views first).
        this.probing = null;
        const next = [...this.runners]
          .filter((r) => r.kind === 'probe' && r !== runner && r.lanes.some((l) => l.pending.size > 0))
          .sort((a, b) => (this.lookbacks.get(laneName(a.lanes[0])) ?? 0) - (this.lookbacks.get(laneName(b.lanes[0])) ?? 0))[0];
        if (next) this.kickRunner(next);
      }
      if (runner.lanes.length === 0 && runner !== this.shared) {
        // A runner whose lane joined the shared one.
        runner.cache?.close();
        runner.cache = null;
        this.runners.delete(runner);
      }
      this.kickRunner(runner);
    });
  }

  // Waits `ms`, or less if the worker stops meanwhile.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.pauses.add(wake);
    });
  }

  // One pass of a runner: its lanes' views over the union of their symbols, in one refresh; if
  // that fails, each lane alone (where a failing symbol is isolated, see refreshIsolating).
  private async refreshPass(runner: RefreshRunner, pass: ReadonlyArray<{ lane: RefreshLane; done: Record<string, PendingEntry> }>): Promise<void> {
    if (pass.length > 1) {
      const started = Date.now();
      let refreshed: OnlineRefresh[] | null = null;
      try {
        refreshed = await this.refreshViews(runner, pass.map((p) => p.lane), pass.map((p) => p.done));
      } catch {
        // The cache starts afresh (the failure may be its own); the lanes are tried one by one.
        runner.cache?.close();
        runner.cache = null;
      }
      if (refreshed) {
        const ms = Date.now() - started;
        for (const { lane, done } of pass) {
          lane.failures = 0;
          try {
            await this.cleared(lane, done, refreshed, ms);
          } catch (error) {
            // The values are online but their entries are still in the registry: they wait for
            // the next pass (refreshed again, harmless) instead of failing the worker.
            for (const [symbol, entry] of Object.entries(done)) addPending(lane, symbol, entry);
            this.observer?.refreshError(laneName(lane), `clearing the pending entries: ${(error as Error).message}`);
          }
        }
        this.splitSlowLanes(runner, pass.map((p) => p.lane), ms);
        return;
      }
    }
    for (const { lane, done } of pass) this.afterRefresh(lane, await this.refreshIsolating(lane, done, true));
  }

  // A lane whose view took most of a shared pass (and long enough to matter) gets its own runner.
  private splitSlowLanes(runner: RefreshRunner, lanes: readonly RefreshLane[], passMs: number): void {
    if (runner.kind !== 'shared') return;
    for (const lane of lanes) {
      if (runner.lanes.length < 2 || lane.costMs < SLOW_PASS_MS || lane.costMs * 2 < passMs) continue;
      runner.lanes.splice(runner.lanes.indexOf(lane), 1);
      lane.runner = newRunner('slow');
      lane.runner.lanes.push(lane);
      this.runners.add(lane.runner);
      this.kickRunner(lane.runner);
    }
  }

  // After a refresh of a lane alone that measured its view: a cheap lane joins the shared runner
  // (a slow one back only below half the limit: no flapping), a slow one keeps this runner.
  private place(runner: RefreshRunner): void {
    const lane = runner.lanes[0];
    if (!lane || lane.costMs === Number.POSITIVE_INFINITY) return;
    if (lane.costMs >= (runner.kind === 'probe' ? SLOW_PASS_MS : SLOW_PASS_MS / 2)) {
      runner.kind = 'slow';
      return;
    }
    runner.lanes.length = 0;
    lane.runner = this.shared;
    this.shared.lanes.push(lane);
    if (!this.shared.cache && !this.shared.running) {
      // The probe's recent rows start the shared runner's cache (no second read from the lake
      // while the worker warms up; a longer lookback than the probe's reads only the stretch before it).
      this.shared.cache = runner.cache;
      runner.cache = null;
    }
    this.kickRunner(this.shared);
  }

  /**
   * After a lane's refresh: symbols that failed stay pending, here and in the registry, and are
   * tried again after a pause growing from 1 s to 1 min (a view's SQL on some symbol's data, the
   * online store down); the lake writes never stop for them, and the others go on being refreshed.
   */
  private afterRefresh(lane: RefreshLane, failed: Record<string, PendingEntry>): void {
    if (Object.keys(failed).length === 0) {
      lane.failures = 0;
      return;
    }
    lane.failures++;
    for (const [symbol, entry] of Object.entries(failed)) lane.held.set(symbol, entry);
    if (!lane.retry) {
      lane.retry = setTimeout(() => {
        lane.retry = null;
        if (this.stopped) return;
        for (const [symbol, entry] of lane.held) addPending(lane, symbol, entry);
        lane.held.clear();
        this.kickRefresh(lane);
      }, Math.min(60_000, 1000 * 2 ** Math.min(6, lane.failures - 1)));
      lane.retry.unref();
    }
  }

  /**
   * Refreshes the symbols; when that fails, halves the set and tries each half, down to single
   * symbols, so that one symbol whose data the view cannot compute does not hold up the others.
   * Returns the symbols that failed. When a whole half fails down to its last symbol and the
   * other half fails too, the cause is taken to be common (e.g. the online store is down) and
   * the rest is not split further.
   */
  private async refreshIsolating(lane: RefreshLane, entries: Record<string, PendingEntry>, top = false): Promise<Record<string, PendingEntry>> {
    try {
      await this.refreshSymbols(lane, entries);
      return {};
    } catch (error) {
      const symbols = Object.keys(entries);
      if (top) {
        // The cache starts afresh (the failure may be its own).
        lane.runner.cache?.close();
        lane.runner.cache = null;
      }
      if (symbols.length === 1) {
        this.observer?.refreshError(laneName(lane), `${symbols[0]}: ${(error as Error).message}`);
        return entries;
      }
      const half = Math.ceil(symbols.length / 2);
      const first = Object.fromEntries(symbols.slice(0, half).map((sym) => [sym, entries[sym]]));
      const second = Object.fromEntries(symbols.slice(half).map((sym) => [sym, entries[sym]]));
      const failedFirst = await this.refreshIsolating(lane, first);
      if (Object.keys(failedFirst).length === half) {
        try {
          await this.refreshSymbols(lane, second);
          return failedFirst;
        } catch (common) {
          this.observer?.refreshError(laneName(lane), `${symbols.length} symbols: ${(common as Error).message}`);
          return entries;
        }
      }
      return { ...failedFirst, ...(await this.refreshIsolating(lane, second)) };
    }
  }

  // One refresh of a lane's view for these symbols; on success their pending entries are cleared.
  private async refreshSymbols(lane: RefreshLane, entries: Record<string, PendingEntry>): Promise<void> {
    const started = Date.now();
    await this.cleared(lane, entries, await this.refreshViews(lane.runner, [lane], [entries]), Date.now() - started);
  }

  // The views of these lanes, refreshed online for the union of their entries' symbols from the earliest `since`, over the runner's cache.
  private async refreshViews(runner: RefreshRunner, lanes: readonly RefreshLane[], entries: ReadonlyArray<Record<string, PendingEntry>>): Promise<OnlineRefresh[]> {
    const all = entries.flatMap((e) => Object.values(e));
    const since = all.reduce((min, e) => (e.since < min ? e.since : min), all[0].since);
    const symbols = [...new Set(entries.flatMap((e) => Object.keys(e)))];
    // One DuckDB thread per runner: the runners go side by side with the writes.
    runner.cache ??= await this.materializer.recentRowsCache(this.options.dataset, { threads: 1 });
    return this.materializer.refreshOnline(this.options.dataset, symbols, new Date(since), {
      streamingOnly: true,
      cache: runner.cache,
      only: lanes.map((l) => ({ view: l.view, version: l.version })),
    });
  }

  // A lane's symbols are refreshed (`refreshed`: its view's result among those of its pass): the
  // view's cost is noted and the entries leave the registry's pending set.
  private async cleared(lane: RefreshLane, entries: Record<string, PendingEntry>, refreshed: readonly OnlineRefresh[], ms: number): Promise<void> {
    const own = refreshed.filter((r) => r.view === lane.view && r.version === lane.version);
    lane.costMs = own.reduce((n, r) => n + r.ms, 0);
    const name = laneName(lane);
    await this.registry.clearPendingRefresh(this.pendingSetName, Object.fromEntries(Object.entries(entries).map(([symbol, e]) => [pendingKey(name, symbol), e])));
    const onlineRows = own.reduce((n, r) => n + r.written, 0);
    this.totals.onlineRows += onlineRows;
    lane.inRefresh = Math.max(0, lane.inRefresh - Object.keys(entries).length);
    this.observer?.refresh({ view: name, runner: lane.runner.kind, keys: Object.keys(entries).length, onlineRows, ms, pending: this.pendingRefresh });
  }

  /** (View, symbol) pairs written to the lake and not yet refreshed online (0 when online values are current). */
  get pendingRefresh(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.pending.size + lane.inRefresh + lane.held.size;
    return n;
  }

  private watermarkKey(partition: number): string {
    return `stream/${this.options.group}/${this.options.topic}/${partition}`;
  }

  private async write(all: readonly Buffered[], parsing: ReadonlyArray<Promise<ParsedBarBatch>>): Promise<void> {
    const started = Date.now();
    // 1. Skip what an earlier run already wrote (it crashed before committing).
    const stored = new Map<number, bigint>();
    for (const p of new Set(all.map((m) => m.partition))) {
      const mark = await this.registry.getWatermark(this.watermarkKey(p));
      stored.set(p, mark === undefined ? -1n : BigInt(mark));
    }
    const isFresh = all.map((m) => BigInt(m.offset) > stored.get(m.partition)!);
    const freshCount = isFresh.filter(Boolean).length;

    // 2. Structural check of every message (re-delivered ones too: their symbols are refreshed
    // below), done on the parser's thread as they arrived; the fresh rows that pass go to the
    // batch ingestor.
    const parsed = mergeParsed(await Promise.all(parsing));
    if (parsed.lineEnds.length !== all.length) throw new Error(`stream: ${parsed.lineEnds.length} messages checked for a batch of ${all.length}`);
    const reasons = new Map<number, string>(parsed.errors);
    const dead: Array<{ message: Buffered; reason: string }> = [];
    const rowMessages: Buffered[] = [];
    const lineSlices: Array<[number, number]> = [];
    let lineStart = 0;
    all.forEach((m, i) => {
      const lineEnd = parsed.lineEnds[i];
      if (lineEnd < 0) {
        if (isFresh[i]) dead.push({ message: m, reason: reasons.get(i) ?? 'not a bar' });
        return;
      }
      if (isFresh[i]) {
        rowMessages.push(m);
        lineSlices.push([lineStart, lineEnd]);
      }
      lineStart = lineEnd;
    });
    let result: IngestResult | null = null;
    if (rowMessages.length > 0) {
      // Usually every message is fresh: the parser's text is the file as it is.
      const ndjson = parsed.ndjson;
      const content = lineSlices.length === all.length - parsed.errors.length ? ndjson : Buffer.concat(lineSlices.map(([from, to]) => ndjson.subarray(from, to)));
      let outcome: Awaited<ReturnType<StreamIngestor['ingest']>>;
      try {
        outcome = await this.ingest(content, rowMessages);
      } catch (error) {
        // The file holds most bars as they came; if DuckDB cannot read it where JSON.parse could
        // (e.g. a duplicate field, which JSON.parse resolves to the last), write every bar anew
        // from its checked row and try once more, before the batch fails the worker.
        if (!(error instanceof FeatureStoreError) || error.code !== ErrorCode.InvalidArgument) throw error;
        const rewritten = parseBarBatch(packValues(rowMessages.map((m) => m.value)), this.options.maxMessageBytes, false);
        outcome = await this.ingest(rewritten.ndjson, rowMessages);
      }
      result = outcome.result;
      for (const bad of outcome.rejected) dead.push({ message: rowMessages[bad.row - 1], reason: bad.reason });
    }

    // 3. Dead letters, with the reason and the original bytes, before the offsets move on.
    if (dead.length > 0) {
      await this.producer.send({
        topic: this.dlqTopic,
        acks: -1,
        messages: dead.map(({ message, reason }) => ({
          key: message.key,
          value: message.value,
          headers: deadLetterHeaders(this.options.topic, message, reason),
        })),
      });
    }

    // 4. The batch's symbols join the registry's set awaiting an online refresh (re-delivered
    // ones too: a crash after the watermark and before the commit is healed by the replay), each
    // from its oldest bar in the batch: the refresh recomputes from there (a symbol whose messages
    // all failed to parse has nothing new and is left out).
    const oldestBySymbol = new Map<string, number>(parsed.oldest);
    let refresh: { lanes: string[]; entries: PendingRefresh } | null = null;
    if (oldestBySymbol.size > 0) {
      const lanes = await this.streamLanes();
      const since: Record<string, string> = {};
      for (const lane of lanes) for (const [symbol, t] of oldestBySymbol) since[pendingKey(lane, symbol)] = new Date(t).toISOString();
      if (lanes.length > 0) refresh = { lanes, entries: await this.registry.addPendingRefresh(this.pendingSetName, since) };
    }

    // 5. The online refresh of the streaming views, off the write path (see kickRefresh). It
    // starts now, beside the watermarks and the commit: the batch's rows are in the lake and its
    // symbols in the registry's pending set, which is all a refresh needs (a crash from here on
    // re-delivers the batch: its rows are skipped or land again as the same values, and its
    // symbols are refreshed again).
    if (refresh) {
      for (const name of refresh.lanes) {
        const lane = this.lane(name);
        for (const [symbol, t] of oldestBySymbol) addPending(lane, symbol, { since: new Date(t).toISOString(), n: refresh.entries[pendingKey(name, symbol)].n });
        this.kickRefresh(lane);
      }
    }

    // 6. Watermarks (one registry transaction), then the commit: only now is the batch done.
    const next = new Map<number, bigint>();
    for (const m of all) if (!next.has(m.partition) || BigInt(m.offset) > next.get(m.partition)!) next.set(m.partition, BigInt(m.offset));
    await Promise.all([...next].map(([p, offset]) => this.registry.setWatermark(this.watermarkKey(p), offset.toString())));
    try {
      await this.consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic: this.options.topic, partition, offset: (offset + 1n).toString() })));
    } catch (error) {
      // A rebalance moved a partition away meanwhile: its new owner is re-delivered these
      // messages and skips them by the watermark just recorded. Nothing is lost. (If the new
      // owner read the watermark before this write recorded it, it writes the batch too: the lake
      // then stores an identical later version of those rows, and readers still see each once.)
      this.totals.commitFailures++;
      this.lastCommitError = (error as Error).message;
    }
    for (const [p, offset] of next) {
      const high = this.highWatermarks.get(p);
      if (high !== undefined) this.observer?.lag(p, Number(high - offset - 1n > 0n ? high - offset - 1n : 0n));
    }

    const stats: StreamBatchStats = {
      messages: all.length,
      accepted: result?.accepted ?? 0,
      deadLetters: dead.length,
      alreadyStored: all.length - freshCount,
      ms: Date.now() - started,
      pendingRefresh: this.pendingRefresh,
    };
    this.totals.messages += stats.messages;
    this.totals.accepted += stats.accepted;
    this.totals.deadLetters += stats.deadLetters;
    this.totals.alreadyStored += stats.alreadyStored;
    this.totals.batches++;
    this.observer?.batch(stats);
  }

  // One lake batch per micro-batch; its identity is the offset ranges, so an exact replay writes nothing.
  private async ingest(ndjson: Uint8Array, messages: readonly Buffered[]): Promise<{ result: IngestResult | null; rejected: Array<{ row: number; reason: string }> }> {
    await mkdir(this.tmpDir, { recursive: true });
    const path = join(this.tmpDir, `stream-${randomBytes(6).toString('hex')}.ndjson`);
    // One synchronous write (tens of ms for 100k rows into the page cache): the promise version
    // writes in 512 KiB chunks, each waiting for a turn of an event loop that is busy decoding
    // the next fetches, which made this step take seconds per batch.
    writeFileSync(path, ndjson);
    const ranges = new Map<number, [string, string]>();
    for (const m of messages) {
      const r = ranges.get(m.partition);
      ranges.set(m.partition, r ? [r[0], m.offset] : [m.offset, m.offset]);
    }
    const identity = sha256('kafka', this.options.topic, JSON.stringify([...ranges].sort((a, b) => a[0] - b[0])));
    try {
      const result = await this.ingestor.ingest({
        dataset: this.options.dataset,
        source: { kind: 'file', path, format: 'ndjson', identity, label: `kafka ${this.options.topic}`, fields: BAR_FIELDS },
        timing: { kind: 'close' },
        createAs: 'bars',
      });
      return { result, rejected: result.rejected > 0 ? await quarantined(result.quarantineFile, result.errors) : [] };
    } catch (error) {
      if (error instanceof FeatureStoreError && error.code === ErrorCode.NothingIngested) {
        const details = error.details as { quarantineFile?: string | null; errors?: Array<{ row: number; message: string }> } | undefined;
        return { result: null, rejected: await quarantined(details?.quarantineFile ?? null, details?.errors ?? []) };
      }
      throw error;
    } finally {
      await rm(path, { force: true });
    }
  }
}

// Every rejected row with its reason: the quarantine file has them all (the summary only the first).
async function quarantined(file: string | null, errors: ReadonlyArray<{ row: number; message: string }>): Promise<Array<{ row: number; reason: string }>> {
  if (!file) return errors.map((e) => ({ row: e.row, reason: e.message }));
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  return lines.map((l) => {
    const q = JSON.parse(l) as { row: number; error: string };
    return { row: q.row, reason: q.error };
  });
}

function deadLetterHeaders(topic: string, m: Buffered, reason: string): IHeaders {
  return {
    'x-error': reason,
    'x-original-topic': topic,
    'x-original-partition': String(m.partition),
    'x-original-offset': m.offset,
    'x-original-timestamp': m.timestamp,
    // The bytes as they arrived (also the value of the dead letter).
    'x-original-value': m.value ?? Buffer.alloc(0),
  };
}

/** One streaming view version's online refresh: the symbols waiting for it, and the runner that refreshes it. */
interface RefreshLane {
  readonly view: string;
  readonly version: number;
  runner: RefreshRunner;
  /** Milliseconds of the view's SQL and online write in its last refresh (passes run the cheapest first; unknown: last). */
  costMs: number;
  pending: Map<string, PendingEntry>;
  inRefresh: number;
  /** Refreshes failed in a row (the pause before the next try grows with it). */
  failures: number;
  /** Symbols whose refresh failed, waiting for `retry` to put them back into `pending`. */
  held: Map<string, PendingEntry>;
  retry: NodeJS.Timeout | null;
}

/**
 * Lanes refreshed together, one pass at a time, over one cache of recent rows (see kickRefresh):
 * the shared runner, a new lane's probe, or a slow lane's own (whose passes are spaced).
 */
interface RefreshRunner {
  kind: 'shared' | 'probe' | 'slow';
  readonly lanes: RefreshLane[];
  running: Promise<void> | null;
  cache: RecentRowsCache | null;
}

function newRunner(kind: RefreshRunner['kind']): RefreshRunner {
  return { kind, lanes: [], running: null, cache: null };
}

/**
 * A view whose first refresh takes this long, or that takes this long and at least half of a
 * shared pass, gets a runner of its own; a pass of such a runner longer than this is followed by
 * a pause as long as the pass.
 */
const SLOW_PASS_MS = 250;

function laneName(lane: RefreshLane): string {
  return `${lane.view}@${lane.version}`;
}

// Adds a symbol to a lane's pending set: the earlier `since` wins, the registry's `n` is kept.
function addPending(lane: RefreshLane, symbol: string, entry: PendingEntry): void {
  const prior = lane.pending.get(symbol);
  lane.pending.set(symbol, { since: prior && prior.since < entry.since ? prior.since : entry.since, n: Math.max(prior?.n ?? 0, entry.n) });
}

// Entries of the registry's pending set: `view@version|symbol`.
function pendingKey(lane: string, symbol: string): string {
  return `${lane}|${symbol}`;
}

function splitPendingKey(key: string): [string, string] {
  const bar = key.indexOf('|');
  return [key.slice(0, bar), key.slice(bar + 1)];
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
