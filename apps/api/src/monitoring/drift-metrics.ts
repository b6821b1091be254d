import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { MonitorService, type MonitorRecord } from '@app/features';
import { Counter, Gauge } from 'prom-client';
import { ApiMetrics } from '../metrics/api-metrics';

interface DriftGauges {
  readonly psi: Gauge;
  readonly ks: Gauge;
  readonly nullRate: Gauge;
  readonly alert: Gauge;
}

/**
 * The drift monitors' figures as Prometheus gauges, read from the registry's stored `last` at
 * each scrape: right after a restart, and whichever process (API or ingest worker) evaluated
 * them. Besides the issue's {view,version,feature} the figures carry `monitor`: two monitors of
 * one version against different references would otherwise write the same series.
 */
@Injectable()
export class DriftMetrics implements OnApplicationBootstrap {
  private readonly logger = new Logger('Monitors');
  private readonly failures: Counter;
  private readonly gauges: DriftGauges;
  private refreshing: Promise<void> | null = null;

  constructor(
    @Inject(MonitorService) private readonly monitors: MonitorService,
    @Inject(ApiMetrics) metrics: ApiMetrics,
  ) {
    const registers = [metrics.registry];
    // prom-client reads every metric of a scrape at once; the four share one refresh from the registry.
    const collect = (): Promise<void> => this.refresh();
    const figures = ['view', 'version', 'feature', 'monitor'];
    this.gauges = {
      psi: new Gauge({ name: 'feature_store_feature_drift_psi', help: 'PSI of a feature: its monitor\'s reference training set against the current window (last evaluation).', labelNames: figures, registers, collect }),
      ks: new Gauge({ name: 'feature_store_feature_drift_ks', help: 'Two-sample KS statistic of a numeric feature: reference against the current window (last evaluation).', labelNames: figures, registers, collect }),
      nullRate: new Gauge({ name: 'feature_store_feature_null_rate', help: 'Share of null values of a feature in the current window (last evaluation).', labelNames: figures, registers, collect }),
      alert: new Gauge({ name: 'feature_store_feature_drift_alert', help: "1 when a monitor's last evaluation had a feature whose PSI reached psiAlert, else 0.", labelNames: ['view', 'version', 'monitor'], registers, collect }),
    };
    this.failures = new Counter({
      name: 'feature_store_monitor_evaluation_failures_total',
      help: 'Drift monitor evaluations that failed after a materialisation (the materialisation itself succeeded).',
      registers,
    });
    this.failures.inc(0);
  }

  onApplicationBootstrap(): void {
    this.monitors.observe({
      evaluated: () => undefined,
      failed: (target, error) => {
        this.failures.inc();
        this.logger.warn(`drift monitor ${target.monitor ?? '(any)'} of ${target.view}@${target.version} not evaluated: ${error.message}`);
      },
    });
  }

  // One registry read per scrape, shared by the gauges asking at the same time.
  private refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const stored = await this.monitors.list().catch(() => null);
        if (stored === null) return; // the registry cannot answer (closing): keep the last values
        for (const g of Object.values(this.gauges)) g.reset();
        for (const m of stored) setFigures(m, this.gauges);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }
}

function setFigures(m: MonitorRecord, g: DriftGauges): void {
  const version = String(m.version);
  g.alert.set({ view: m.view, version, monitor: m.id }, m.last?.alert ? 1 : 0);
  for (const f of m.last?.features ?? []) {
    const labels = { view: m.view, version, feature: f.name, monitor: m.id };
    if (f.psi !== null) g.psi.set(labels, f.psi);
    if (f.ks !== null) g.ks.set(labels, f.ks);
    if (f.currentNullRate !== null) g.nullRate.set(labels, f.currentNullRate);
  }
}
