import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbRegistry, type DeliveryRecord, type OutboxEntry } from '@app/features';

describe('the run outbox and delivery outcomes (a real LMDB file)', () => {
  let dir: string;
  let registry: LmdbRegistry;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    registry = LmdbRegistry.open(join(dir, 'registry'));
  });
  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const entry = (runId: string, trainingSetId: string, sink = 'mlflow'): OutboxEntry => ({ sink, runId, trainingSetId, attempts: 0, nextAttemptAt: '2026-01-01T00:00:00.000Z' });
  const record = (e: OutboxEntry, status: DeliveryRecord['status']): DeliveryRecord => ({ sink: e.sink, runId: e.runId, trainingSetId: e.trainingSetId, status, attempts: 1, settledAt: '2026-01-01T00:00:01.000Z' });

  it('lists the outbox whole, by sink, and by run (a run id that prefixes another is not mixed in)', async () => {
    const entries = [entry('run-1', 'ts-1'), entry('run-1', 'ts-2'), entry('run-10', 'ts-1'), entry('run-1', 'ts-1', 'other')];
    for (const e of entries) await registry.runs.putOutbox(e);
    expect(await registry.runs.listOutbox()).toHaveLength(4);
    expect(await registry.runs.listOutbox('mlflow')).toHaveLength(3);
    expect(await registry.runs.listOutbox('mlflow', 'run-1')).toEqual([entries[0], entries[1]]);
  });

  it('settles an entry: it leaves the outbox and its outcome is recorded, a later one replacing it', async () => {
    const e = entry('run-1', 'ts-1');
    await registry.runs.putOutbox(e);
    await registry.runs.settleOutbox(e, { ...record(e, 'failed'), error: 'MLflow answered 404' });
    expect(await registry.runs.listOutbox()).toEqual([]);
    expect(await registry.runs.deliveries('mlflow', 'run-1')).toEqual([{ ...record(e, 'failed'), error: 'MLflow answered 404' }]);
    await registry.runs.putOutbox(e);
    await registry.runs.settleOutbox(e, record(e, 'logged'));
    expect(await registry.runs.deliveries('mlflow', 'run-1')).toEqual([record(e, 'logged')]);
    expect(await registry.runs.deliveries('mlflow', 'run-10')).toEqual([]);
  });
});
