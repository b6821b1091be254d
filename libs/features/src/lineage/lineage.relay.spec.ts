import type { DeliveryRecord, OutboxEntry, RunRepository } from '../registry/run.repository';
import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { FixedClock } from '../util/clock';
import { LineageRelay, type DeliveryEvent } from './lineage.relay';
import { LinkRefusedError, type LineageSink, type SinkResult } from './lineage.sink';

const manifestOf = (id: string): TrainingSetManifest => ({
  id,
  digest: 'd'.repeat(64),
  entityDigest: 'e'.repeat(64),
  rowCount: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  pointInTime: 'event',
  timestampColumn: 'ts',
  features: [],
  columns: ['symbol'],
  file: `/tmp/${id}.parquet`,
});

/** The outbox and outcomes in memory, keyed as the LMDB repository keys them. */
class MemoryRuns implements Pick<RunRepository, 'putOutbox' | 'listOutbox' | 'settleOutbox' | 'deliveries'> {
  readonly outbox = new Map<string, OutboxEntry>();
  readonly records = new Map<string, DeliveryRecord>();
  async putOutbox(e: OutboxEntry): Promise<void> {
    this.outbox.set(`${e.sink}/${e.runId}/${e.trainingSetId}`, e);
  }
  async listOutbox(sink?: string, runId?: string): Promise<OutboxEntry[]> {
    return [...this.outbox.values()].filter((e) => (sink === undefined || e.sink === sink) && (runId === undefined || e.runId === runId));
  }
  async settleOutbox(e: OutboxEntry, r: DeliveryRecord): Promise<void> {
    this.outbox.delete(`${e.sink}/${e.runId}/${e.trainingSetId}`);
    this.records.set(`${r.sink}/${r.runId}/${r.trainingSetId}`, r);
  }
  async deliveries(sink: string, runId: string): Promise<DeliveryRecord[]> {
    return [...this.records.values()].filter((r) => r.sink === sink && r.runId === runId);
  }
}

/** A tracker whose next answers are scripted: a result, or an error to throw. */
class ScriptedSink implements LineageSink {
  readonly name = 'mlflow';
  readonly calls: Array<{ runId: string; trainingSetId: string; retry: boolean }> = [];
  answers: Array<SinkResult | Error | Promise<SinkResult>> = [];
  async logTrainingSet(runId: string, manifest: TrainingSetManifest, _columns: unknown, _baseUrl: string, retry: boolean): Promise<SinkResult> {
    this.calls.push({ runId, trainingSetId: manifest.id, retry });
    const answer = this.answers.shift() ?? 'logged';
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

describe('LineageRelay', () => {
  let runs: MemoryRuns;
  let sink: ScriptedSink;
  let clock: FixedClock;
  let events: DeliveryEvent[];
  let relay: LineageRelay;
  const manifests = new Map(['ts-1', 'ts-2'].map((id) => [id, manifestOf(id)]));
  beforeEach(() => {
    runs = new MemoryRuns();
    sink = new ScriptedSink();
    clock = new FixedClock(new Date('2026-01-01T00:00:00Z'));
    events = [];
    relay = new LineageRelay(runs, { getTrainingSet: async (id) => manifests.get(id) }, { columnTypes: async () => [{ name: 'symbol', type: 'VARCHAR' }] }, sink, clock, 'http://h');
    relay.observe({ delivery: (e) => events.push(e) });
  });
  const later = (seconds: number) => clock.set(new Date(clock.now().getTime() + seconds * 1000));

  it('settles a delivered link as logged', async () => {
    await relay.enqueue('r1', 'ts-1');
    expect(runs.outbox.size).toBe(0);
    expect(await relay.status('r1')).toEqual({ status: 'logged', error: null, links: [{ trainingSetId: 'ts-1', status: 'logged', attempts: 1, error: null }] });
    expect(events.map((e) => e.outcome)).toEqual(['logged']);
    expect(sink.calls).toEqual([{ runId: 'r1', trainingSetId: 'ts-1', retry: false }]);
  });

  it('keeps a link that failed for now, retries it with backoff, asking the tracker first', async () => {
    sink.answers = [new Error('connect ECONNREFUSED')];
    await relay.enqueue('r1', 'ts-1');
    expect(await relay.status('r1')).toEqual({ status: 'pending', error: 'connect ECONNREFUSED', links: [{ trainingSetId: 'ts-1', status: 'pending', attempts: 1, error: 'connect ECONNREFUSED' }] });
    expect(await relay.pendingCount()).toBe(1);
    expect(await relay.tick()).toBe(1); // not due yet
    expect(sink.calls).toHaveLength(1);
    later(2);
    sink.answers = ['already-logged'];
    expect(await relay.tick()).toBe(0);
    expect(sink.calls[1]).toEqual({ runId: 'r1', trainingSetId: 'ts-1', retry: true });
    expect(await relay.status('r1')).toMatchObject({ status: 'logged', links: [{ attempts: 2 }] });
    expect(events.map((e) => e.outcome)).toEqual(['retried', 'logged']);
  });

  it('settles a refused link as failed once, and never sends it again', async () => {
    sink.answers = [new LinkRefusedError('MLflow answered 404 RESOURCE_DOES_NOT_EXIST')];
    await relay.enqueue('r1', 'ts-1');
    for (let i = 0; i < 5; i++) {
      later(600);
      await relay.tick();
    }
    expect(sink.calls).toHaveLength(1);
    expect(events).toEqual([{ outcome: 'failed', runId: 'r1', trainingSetId: 'ts-1', attempts: 1, error: 'MLflow answered 404 RESOURCE_DOES_NOT_EXIST' }]);
    expect(await relay.status('r1')).toMatchObject({ status: 'failed', error: 'MLflow answered 404 RESOURCE_DOES_NOT_EXIST' });
    expect(await relay.pendingCount()).toBe(0);
  });

  it('queues a failed link anew when it is linked again', async () => {
    sink.answers = [new LinkRefusedError('refused'), new Error('timeout')];
    await relay.enqueue('r1', 'ts-1');
    await relay.enqueue('r1', 'ts-1');
    expect(await relay.status('r1')).toMatchObject({ status: 'pending', error: 'timeout' });
  });

  it('fails a link whose training set is gone', async () => {
    await relay.enqueue('r1', 'ts-missing');
    expect(sink.calls).toHaveLength(0);
    expect(await relay.status('r1')).toMatchObject({ status: 'failed', error: 'training set ts-missing no longer exists' });
  });

  it('answers for the whole run: failed over pending over logged', async () => {
    sink.answers = ['logged', new Error('down')];
    await relay.enqueue('r1', 'ts-1');
    await relay.enqueue('r1', 'ts-2');
    expect(await relay.status('r1')).toMatchObject({ status: 'pending', error: 'down' });
    sink.answers = [new LinkRefusedError('gone')];
    later(5);
    await relay.tick();
    expect(await relay.status('r1')).toMatchObject({ status: 'failed', error: 'gone', links: [{ status: 'logged' }, { status: 'failed' }] });
    expect(await relay.status('r2')).toBeUndefined();
  });

  it('does not send a link a second time while its first attempt is under way', async () => {
    let answer!: (r: SinkResult) => void;
    sink.answers = [new Promise<SinkResult>((resolve) => (answer = resolve))];
    const first = relay.enqueue('r1', 'ts-1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(await relay.tick()).toBe(1);
    answer('logged');
    await first;
    expect(sink.calls).toHaveLength(1);
    expect(events.map((e) => e.outcome)).toEqual(['logged']);
  });
});
