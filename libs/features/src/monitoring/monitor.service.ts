import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../errors/feature-store.error';
import type { MonitorEvaluation, MonitorRecord, MonitorRepository } from '../registry/monitor.repository';
import type { Clock } from '../util/clock';
import { parseDuration } from '../util/time';
import type { DriftService } from './drift.service';

/** POST /v1/monitors, checked at the edge for shape; here for what it names. */
export interface CreateMonitorCommand {
  readonly view: string;
  readonly version: number;
  readonly reference: string;
  readonly window: string;
  /** PSI at or above which a feature (and the monitor) is in alert; 0.2 by default. */
  readonly psiAlert?: number;
}

/** The PSI above which a population is commonly read as shifted. */
export const DEFAULT_PSI_ALERT = 0.2;

/** What the API turns into metrics and logs. */
export interface MonitorObserver {
  evaluated(monitor: MonitorRecord): void;
  /** An evaluation failed; `monitor` is null when the monitors could not even be listed. */
  failed(target: { readonly view: string; readonly version: number; readonly monitor: string | null }, error: Error): void;
}

/**
 * Drift monitors: a view version watched against a reference training set. After each
 * materialisation of the version every monitor of it is evaluated and its `last` stored in the
 * registry (so any process reading the registry, e.g. the API's /metrics, sees it). Evaluations
 * run after the materialisation has answered and never fail it: a failure goes to the observer.
 */
export class MonitorService {
  private observer: MonitorObserver | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly repository: MonitorRepository,
    private readonly drift: Pick<DriftService, 'drift' | 'check'>,
    private readonly clock: Clock,
  ) {}

  /** Reports evaluations and their failures to `observer` (metrics, logs). */
  observe(observer: MonitorObserver): void {
    this.observer = observer;
  }

  /** Registers a monitor after checking what it names, and evaluates it once when the version has offline rows. */
  async create(command: CreateMonitorCommand): Promise<MonitorRecord> {
    const psiAlert = command.psiAlert ?? DEFAULT_PSI_ALERT;
    if (!Number.isFinite(psiAlert) || psiAlert <= 0) throw new InvalidArgumentError('psiAlert: must be a positive number', { field: 'psiAlert' });
    const window = parseDuration(command.window, 'window').text;
    await this.drift.check({ ...command, window });
    const now = this.clock.now().toISOString();
    const monitor: MonitorRecord = {
      id: `mon-${now.replace(/[-:.]/g, '')}-${randomBytes(4).toString('hex')}`,
      view: command.view,
      version: command.version,
      reference: command.reference,
      window,
      psiAlert,
      createdAt: now,
      last: null,
    };
    await this.repository.putMonitor(monitor);
    return (await this.evaluate(monitor, false)) ?? monitor;
  }

  /** Every monitor. */
  list(): Promise<MonitorRecord[]> {
    return this.repository.listMonitors();
  }

  /** One monitor; 404 naming `id` when unknown. */
  async get(id: string): Promise<MonitorRecord> {
    const monitor = await this.repository.getMonitor(id);
    if (!monitor) throw new NotFoundError(`monitor ${id} does not exist`, { field: 'id' });
    return monitor;
  }

  /** Removes a monitor; 404 naming `id` when unknown. */
  async delete(id: string): Promise<void> {
    if (!(await this.repository.deleteMonitor(id))) throw new NotFoundError(`monitor ${id} does not exist`, { field: 'id' });
  }

  /**
   * Queues the evaluation of every monitor of a view version (after it was materialised) and
   * returns at once; the returned promise settles (never rejects) when they are done.
   */
  versionChanged(view: string, version: number): Promise<void> {
    this.queue = this.queue.then(async () => {
      try {
        const monitors = (await this.repository.listMonitors()).filter((m) => m.view === view && m.version === version);
        for (const monitor of monitors) await this.evaluate(monitor, true);
      } catch (error) {
        this.observer?.failed({ view, version, monitor: null }, error as Error);
      }
    });
    return this.queue;
  }

  /** Resolves when every queued evaluation has ended (the store waits for it before closing). */
  idle(): Promise<void> {
    return this.queue;
  }

  // Computes and stores one monitor's figures; a failure is reported (when `report`) and gives undefined.
  private async evaluate(monitor: MonitorRecord, report: boolean): Promise<MonitorRecord | undefined> {
    try {
      const drift = await this.drift.drift(monitor);
      const features = drift.features.map((f) => ({ ...f, alert: f.psi !== null && f.psi >= monitor.psiAlert }));
      const last: MonitorEvaluation = {
        evaluatedAt: this.clock.now().toISOString(),
        windowStart: drift.windowStart,
        windowEnd: drift.windowEnd,
        alert: features.some((f) => f.alert),
        features,
      };
      await this.repository.setLast(monitor.id, last);
      const evaluated = { ...monitor, last };
      this.observer?.evaluated(evaluated);
      return evaluated;
    } catch (error) {
      if (report) this.observer?.failed({ view: monitor.view, version: monitor.version, monitor: monitor.id }, error as Error);
      return undefined;
    }
  }
}
