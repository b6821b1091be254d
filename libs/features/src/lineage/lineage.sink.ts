import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import type { TrainingSetColumn } from './mlflow-dataset';

/** What a delivery found: the link is now logged, or the tracker held it already (an earlier attempt's answer was lost). */
export type SinkResult = 'logged' | 'already-logged';

/** Where training-set links are reported beyond the registry (MLflow, when configured). */
export interface LineageSink {
  readonly name: string;
  /**
   * Reports that `runId` consumed the training set. `retry`: an earlier attempt may have reached
   * the tracker, so it is asked first. Throws LinkRefusedError when retrying cannot help; any
   * other error means "try again later".
   */
  logTrainingSet(runId: string, manifest: TrainingSetManifest, columns: readonly TrainingSetColumn[], baseUrl: string, retry: boolean): Promise<SinkResult>;
}

/** The tracker refused a link for good (an unknown run, a request it calls invalid): not retried. */
export class LinkRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkRefusedError';
  }
}
