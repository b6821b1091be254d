import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';
import { hasExited, stopGroup } from './processes';
import { answersOk, httpStatus, waitFor } from './wait';

/** A real MLflow tracking server (pip `mlflow`) on a free local port, with a SQLite store. */
export class MlflowServer {
  private child?: ChildProcess;
  url = '';

  constructor(private readonly dir: string, private port = 0) {}

  async start(): Promise<string> {
    if (this.port === 0) this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.child = spawn(
      'python3',
      ['-m', 'mlflow', 'server', '--backend-store-uri', `sqlite:///${this.dir}/mlflow.db`, '--default-artifact-root', `${this.dir}/artifacts`, '--host', '127.0.0.1', '--port', String(this.port), '--workers', '1'],
      { stdio: 'ignore', detached: true },
    );
    const child = this.child;
    await waitFor(
      async () => {
        if (hasExited(child)) throw new Error(`the MLflow server exited with ${child.exitCode ?? child.signalCode} (is mlflow installed for python3?)`);
        return answersOk(`${this.url}/health`);
      },
      { timeoutMs: 90_000, everyMs: 300, what: `the MLflow server on ${this.url}` },
    );
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.child?.pid) return;
    await stopGroup(this.child); // the whole group: mlflow starts worker processes
    // Until the port is closed, so that a restart on it works.
    await waitFor(async () => (await httpStatus(`${this.url}/health`)) === null, { timeoutMs: 20_000, everyMs: 200, what: `${this.url} to close` });
  }

  /** Creates a run in the default experiment; returns its id. */
  async createRun(): Promise<string> {
    const res = await fetch(`${this.url}/api/2.0/mlflow/runs/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_id: '0', start_time: Date.now() }) });
    const body = (await res.json()) as { run: { info: { run_id: string } } };
    return body.run.info.run_id;
  }

  async datasetInputs(runId: string): Promise<Array<{ tags?: Array<{ key: string; value: string }>; dataset: Record<string, string> }>> {
    const res = await fetch(`${this.url}/api/2.0/mlflow/runs/get?run_id=${runId}`);
    const body = (await res.json()) as { run: { inputs?: { dataset_inputs?: Array<{ tags?: Array<{ key: string; value: string }>; dataset: Record<string, string> }> } } };
    return body.run.inputs?.dataset_inputs ?? [];
  }
}
