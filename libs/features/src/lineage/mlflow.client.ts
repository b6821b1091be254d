import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';

/** Where training-set links are reported beyond the registry (MLflow, when configured). */
export interface LineageSink {
  readonly name: string;
  logTrainingSet(runId: string, manifest: TrainingSetManifest, baseUrl: string): Promise<void>;
}

/**
 * Logs a training set to an MLflow run as a dataset input (REST `runs/log-inputs`), so the MLflow
 * UI lists it under the run's datasets with context "training". MLflow caps a digest at 36
 * characters: the digest sent is truncated, and the full one travels in `source`.
 */
export class MlflowLineageSink implements LineageSink {
  readonly name = 'mlflow';

  constructor(
    private readonly trackingUri: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 5000,
  ) {}

  async logTrainingSet(runId: string, manifest: TrainingSetManifest, baseUrl: string): Promise<void> {
    const body = {
      run_id: runId,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: {
            name: `training-set-${manifest.id}`,
            digest: manifest.digest.slice(0, 36),
            source_type: 'http',
            source: JSON.stringify({ uri: `${baseUrl}/v1/training-sets/${manifest.id}/data`, digest: manifest.digest, entityDigest: manifest.entityDigest }),
            schema: JSON.stringify({ mlflow_colspec: manifest.columns.map((name) => ({ name, type: 'string' })) }),
            profile: JSON.stringify({ num_rows: manifest.rowCount, features: manifest.features.map((f) => `${f.view}@${f.version}:${f.feature}`), point_in_time: manifest.pointInTime }),
          },
        },
      ],
    };
    const url = `${this.trackingUri.replace(/\/$/, '')}/api/2.0/mlflow/runs/log-inputs`;
    const res = await this.fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`MLflow answered ${res.status} to log-inputs for run ${runId}: ${(await res.text()).slice(0, 300)}`);
  }
}
