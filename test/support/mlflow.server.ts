import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

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
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/health`)).ok) return this.url;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error('MLflow server did not start within 90 s');
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async stop(): Promise<void> {
    if (!this.child?.pid) return;
    const exited = new Promise((r) => this.child!.once('exit', r));
    process.kill(-this.child.pid, 'SIGTERM'); // the whole group: mlflow starts worker processes
    await exited;
    // Wait until the port is closed, so a restart on it works.
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${this.url}/health`);
        await new Promise((r) => setTimeout(r, 200));
      } catch {
        return;
      }
    }
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
