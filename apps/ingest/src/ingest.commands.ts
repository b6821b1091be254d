import { Inject, Injectable } from '@nestjs/common';
import {
  FeatureStore,
  FileProvider,
  HttpJsonProvider,
  SyntheticProvider,
  TerminalProgress,
  type AuditedLocalWrite,
  type IngestSummary,
  applyCatalog,
  marketCatalog,
  type CatalogPlanLine,
  type MaterializeResult,
  type SymbolPull,
  StreamIngestor,
  StreamViewSetup,
  type StreamTotals,
} from '@app/features';
import { catalogWithFiles } from './cli/catalog-files';
import type { CliCommand } from './cli/cli-args';
import { StreamMetrics } from './stream/stream.metrics';

export const FEATURE_STORE = Symbol('FEATURE_STORE');

/** The CLI's commands: each builds a provider and hands it to the library's IngestService. */
@Injectable()
export class IngestCommands {
  constructor(@Inject(FEATURE_STORE) private readonly store: FeatureStore) {}

  /** Registers the built-in catalog and the given definition files. */
  async apply(command: Extract<CliCommand, { kind: 'apply' }>): Promise<CatalogPlanLine[]> {
    const catalog = catalogWithFiles(command.files);
    const lines = await applyCatalog(this.store.features, catalog, command.dryRun);
    if (!command.dryRun) {
      const changed = lines.filter((l) => l.change !== 'unchanged');
      const counts: Record<string, number> = {};
      for (const line of lines) counts[line.change] = (counts[line.change] ?? 0) + 1;
      // Re-applying an unchanged catalog changed nothing: no entry.
      if (changed.length > 0) await this.recordLocal({ command: 'apply', targets: changed.map((l) => l.name), counts });
    }
    return lines;
  }

  /** Materialises the named views (or all) with a progress bar. */
  async materialize(command: Extract<CliCommand, { kind: 'materialize' }>): Promise<MaterializeResult[]> {
    const names = command.views.includes('all') ? (await this.store.features.list()).map((v) => v.name) : command.views;
    const results: MaterializeResult[] = [];
    for (const view of names) {
      const result = await this.store.materializer.run({ view, version: command.version, start: command.start, end: command.end }, new TerminalProgress());
      results.push(result);
      await this.recordLocal({ command: 'materialize', targets: [view], counts: { version: result.version, rows: result.rows, onlineRows: result.onlineRows, revisedRows: result.revisedRows } });
    }
    return results;
  }

  /**
   * Runs the Kafka worker until SIGTERM/SIGINT (then writes and commits what is buffered) or a
   * batch cannot be written (then exits non-zero with nothing committed past the last good batch).
   */
  async stream(command: Extract<CliCommand, { kind: 'stream' }>): Promise<StreamTotals> {
    const metrics = new StreamMetrics();
    const worker = new StreamIngestor(
      {
        ingestor: this.store.ingestor,
        registry: this.store.registry.streams,
        refresher: this.store.onlineRefresh,
        // A fresh data folder gets the built-in catalog's stream views once the dataset exists.
        views: new StreamViewSetup(this.store.features, this.store.materializer, this.store.registry.datasets, marketCatalog),
        tmpDir: this.store.tmpDir,
        audit: this.store.audit,
      },
      {
        brokers: command.brokers ?? this.store.config.kafka.brokers,
        dataset: command.dataset,
        topic: command.topic,
        group: command.group,
        batchSize: command.batchSize,
        batchMs: command.batchMs,
        maxMessageBytes: command.maxMessageBytes,
        pendingScanMs: command.pendingScanMs,
      },
      metrics,
    );
    const port = command.metricsPort > 0 ? await metrics.listen(command.metricsPort) : null;
    const done = new Promise<Error | null>((resolve) => {
      worker.onFailure((error) => resolve(error));
      process.once('SIGTERM', () => resolve(null));
      process.once('SIGINT', () => resolve(null));
    });
    // The stream writes a file per micro-batch: this worker compacts them too (LAKE_COMPACTION_INTERVAL_S).
    const compactor = this.store.backgroundCompactor({
      compacted: (r) => console.error(`compacted ${r.dataset}: ${r.partitions.length} partitions, ${r.partitions.reduce((n, p) => n + p.inputFiles, 0)} files -> ${r.partitions.reduce((n, p) => n + p.outputFiles, 0)} in ${r.ms} ms`),
      failed: (dataset, error) => console.error(`background compaction of ${dataset} failed: ${error.message}`),
    });
    await worker.start();
    compactor.start();
    console.error(`streaming ${command.topic} → ${command.dataset} (group ${command.group}, dead letters to ${worker.dlqTopic})${port ? `, metrics on http://127.0.0.1:${port}/metrics` : ''}`);
    const failure = await done;
    try {
      await compactor.stop();
      if (!failure) await worker.stop();
    } finally {
      await metrics.close();
    }
    if (failure) throw failure;
    if (worker.lastCommitError) console.error(`last offset commit failed: ${worker.lastCommitError}`);
    return worker.totals;
  }

  /** Ingests from a file, an HTTP provider or the synthetic generator, and records the run in the audit trail. */
  async run(command: Exclude<CliCommand, { kind: 'help' | 'apply' | 'materialize' | 'stream' }>): Promise<{ summary: IngestSummary; pulls: SymbolPull[] }> {
    const outcome = await this.ingest(command);
    const { summary } = outcome;
    await this.recordLocal({
      command: `ingest ${command.kind}`,
      targets: [command.dataset],
      counts: { accepted: summary.accepted, rejected: summary.rejected, batches: summary.batches.length, skippedBatches: summary.skippedBatches, failures: summary.failures.length },
      outcome: summary.accepted === 0 && summary.failures.length > 0 ? 'failed' : 'accepted',
      ...(summary.failures.length > 0 ? { detail: summary.failures.map((f) => `${f.source}: ${f.error}`).join('; ').slice(0, 500) } : {}),
    });
    return outcome;
  }

  // The CLI writes the lake directly (an operator's tool); its changes are recorded as `local`. A
  // failed append is reported and the command's result kept: the write is already done.
  private async recordLocal(write: AuditedLocalWrite): Promise<void> {
    try {
      await this.store.audit.recordLocal(write);
    } catch (error) {
      console.error(`audit entry not appended: ${(error as Error).message}`);
    }
  }

  private async ingest(command: Exclude<CliCommand, { kind: 'help' | 'apply' | 'materialize' | 'stream' }>): Promise<{ summary: IngestSummary; pulls: SymbolPull[] }> {
    const progress = new TerminalProgress();
    const target = { dataset: command.dataset, createAs: 'bars' as const, force: command.force, partition: command.partition };
    switch (command.kind) {
      case 'file': {
        const provider = new FileProvider({ path: command.path, format: command.format, timing: command.timing, symbol: command.symbol, mapping: command.mapping });
        return { summary: await this.store.ingest.run(provider, target, progress), pulls: [] };
      }
      case 'http': {
        const provider = new HttpJsonProvider(
          {
            urlTemplate: command.urlTemplate,
            symbols: command.symbols,
            since: command.since,
            dataset: command.dataset,
            timing: command.timing,
            mapping: command.mapping,
            timeoutMs: command.timeoutMs,
            retries: command.retries,
            backoffMs: command.backoffMs,
            tmpDir: this.store.tmpDir,
            full: command.full,
          },
          this.store.registry.streams,
          this.store.clock,
        );
        const summary = await this.store.ingest.run(provider, target, progress);
        return { summary, pulls: provider.pulls };
      }
      case 'synth': {
        const provider = new SyntheticProvider({ symbols: command.symbols, days: command.days, seed: command.seed, endDate: command.end, gapRate: command.gapRate });
        return { summary: await this.store.ingest.run(provider, target, progress), pulls: [] };
      }
    }
  }
}
