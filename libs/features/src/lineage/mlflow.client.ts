import type { MlflowDataset } from './mlflow-dataset';

/** A dataset input of an MLflow run, as `runs/get` answers it. */
export interface MlflowDatasetInput {
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  readonly dataset: MlflowDataset;
}

/** MLflow answered with an error status (its `error_code` and message when it sent them). */
export class MlflowHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'MlflowHttpError';
  }
}

/**
 * The few calls of MLflow's REST API (2.0) that lineage needs. A network failure or timeout is
 * thrown as is; an error answer as MlflowHttpError.
 */
export class MlflowClient {
  private readonly api: string;

  constructor(
    trackingUri: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs = 5000,
  ) {
    this.api = `${trackingUri.replace(/\/+$/, '')}/api/2.0/mlflow`;
  }

  /** `runs/log-inputs`: adds dataset inputs to a run. */
  async logInputs(runId: string, datasets: ReadonlyArray<MlflowDatasetInput>): Promise<void> {
    await this.call('runs/log-inputs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ run_id: runId, datasets }) }, runId);
  }

  /** The dataset inputs a run holds (`runs/get`). */
  async datasetInputs(runId: string): Promise<MlflowDatasetInput[]> {
    const body = (await this.call(`runs/get?run_id=${encodeURIComponent(runId)}`, { method: 'GET' }, runId)) as { run?: { inputs?: { dataset_inputs?: MlflowDatasetInput[] } } };
    return body.run?.inputs?.dataset_inputs ?? [];
  }

  private async call(path: string, init: RequestInit, runId: string): Promise<unknown> {
    const endpoint = path.split('?')[0];
    const res = await this.fetchImpl(`${this.api}/${path}`, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await res.text();
    if (res.ok) return text ? (JSON.parse(text) as unknown) : {};
    let errorCode = '';
    let message = text.slice(0, 300);
    try {
      const error = JSON.parse(text) as { error_code?: unknown; message?: unknown };
      if (typeof error.error_code === 'string') errorCode = error.error_code;
      if (typeof error.message === 'string') message = error.message.slice(0, 300);
    } catch {
      // Not JSON (a proxy's error page): the text itself is the message.
    }
    throw new MlflowHttpError(res.status, errorCode, `MLflow answered ${res.status}${errorCode ? ` ${errorCode}` : ''} to ${endpoint} for run ${runId}: ${message}`);
  }
}
