import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { LinkRefusedError, type LineageSink, type SinkResult } from './lineage.sink';
import { MlflowHttpError, type MlflowClient, type MlflowDatasetInput } from './mlflow.client';
import { mlflowDataset, type MlflowDataset, type TrainingSetColumn } from './mlflow-dataset';

// 4xx answers that mean "not now" rather than "never": timeout, too early, rate limited.
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * Logs a training set to an MLflow run as a dataset input (REST `runs/log-inputs`, context tag
 * "training"), so the MLflow UI and `mlflow.data.get_source()` show it.
 *
 * Idempotent: an attempt can reach MLflow while its answer is lost (a timeout under load), so a
 * retry first asks whether the run holds the input already (same name and digest). Two log-inputs
 * of one dataset at once make MLflow answer 400 `UNIQUE constraint failed`; that is checked the
 * same way, and retried when the run does not hold it (the other call was another run's).
 */
export class MlflowLineageSink implements LineageSink {
  readonly name = 'mlflow';

  constructor(private readonly client: Pick<MlflowClient, 'logInputs' | 'datasetInputs'>) {}

  async logTrainingSet(runId: string, manifest: TrainingSetManifest, columns: readonly TrainingSetColumn[], baseUrl: string, retry: boolean): Promise<SinkResult> {
    const dataset = mlflowDataset(manifest, columns, baseUrl);
    try {
      if (retry && (await this.holds(runId, dataset))) return 'already-logged';
      const input: MlflowDatasetInput = { tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset };
      try {
        await this.client.logInputs(runId, [input]);
        return 'logged';
      } catch (error) {
        if (isUniqueConflict(error) && (await this.holds(runId, dataset))) return 'already-logged';
        throw error;
      }
    } catch (error) {
      throw isPermanent(error) ? new LinkRefusedError((error as Error).message) : error;
    }
  }

  private async holds(runId: string, dataset: MlflowDataset): Promise<boolean> {
    return (await this.client.datasetInputs(runId)).some((i) => i.dataset.name === dataset.name && i.dataset.digest === dataset.digest);
  }
}

/** MLflow's answer when a concurrent log-inputs inserted the same dataset first. */
export function isUniqueConflict(error: unknown): boolean {
  return error instanceof MlflowHttpError && error.status === 400 && error.message.includes('UNIQUE constraint failed');
}

// MLflow gives the same 4xx to the same request again (an unknown run is 404
// RESOURCE_DOES_NOT_EXIST), so retrying it only hides the failure; a 5xx, a network failure, a
// timeout or a UNIQUE conflict the check did not resolve may pass next time.
function isPermanent(error: unknown): boolean {
  return error instanceof MlflowHttpError && error.status >= 400 && error.status < 500 && !RETRYABLE_4XX.has(error.status) && !isUniqueConflict(error);
}
