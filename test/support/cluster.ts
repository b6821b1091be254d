import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers';
import { freePort } from './ports';
import { ProcessGroup, hasExited, ingestArgs, signalGroup, tailFile } from './processes';
import { answersOk, waitFor } from './wait';

/*
 * A shared deployment on one machine, as the fault tests need it: API replicas and stream workers
 * as real child processes on one DATA_DIR and the shared services given in `env` (ONLINE_STORE,
 * and REGISTRY_URL once a shared registry exists). Every child gets this process's environment
 * too, so a variable set for the test run reaches each of them.
 */

/** What one member of the cluster runs: an API replica on its own port, or a stream worker. */
type MemberSpec = { kind: 'api'; port: number } | { kind: 'worker'; args: readonly string[]; metricsPort: number };

interface Member {
  readonly name: string;
  readonly spec: MemberSpec;
  child: ChildProcess;
  readonly log: string;
  /** How many times it was started (its log is appended to). */
  starts: number;
}

export interface WorkerSpec {
  readonly name: string;
  /** Arguments after `stream` (topic, group, dataset, batch sizes); `--metrics-port` is added here. */
  readonly args: readonly string[];
}

export interface ClusterOptions {
  readonly dataDir: string;
  /** Environment of every member: the shared services (ONLINE_STORE, REGISTRY_URL, …). */
  readonly env: Record<string, string>;
  readonly apis?: readonly string[];
  readonly workers?: readonly WorkerSpec[];
  /** How long a member may take to answer /health or to start streaming (default 90 s). */
  readonly readyTimeoutMs?: number;
}

const CLK_TCK = 100;

export class Cluster {
  private readonly members = new Map<string, Member>();
  private readonly procs = new ProcessGroup();
  private readonly logs = mkdtempSync(join(tmpdir(), 'fs-cluster-logs-'));

  private constructor(private readonly options: ClusterOptions) {}

  /** Starts every replica and worker (in parallel) and resolves once each is ready. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      const specs: Array<[string, MemberSpec]> = [];
      for (const name of options.apis ?? []) specs.push([name, { kind: 'api', port: await freePort() }]);
      for (const w of options.workers ?? []) specs.push([w.name, { kind: 'worker', args: w.args, metricsPort: await freePort() }]);
      for (const [name, spec] of specs) cluster.launch(name, spec);
      await Promise.all(specs.map(([name]) => cluster.ready(name)));
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The base URL of an API replica. */
  url(name: string): string {
    const { spec } = this.member(name);
    if (spec.kind !== 'api') throw new Error(`${name} is not an API replica`);
    return `http://127.0.0.1:${spec.port}`;
  }

  /** The Prometheus port of a stream worker. */
  metricsPort(name: string): number {
    const { spec } = this.member(name);
    if (spec.kind !== 'worker') throw new Error(`${name} is not a stream worker`);
    return spec.metricsPort;
  }

  /** The pid of a member's current process. */
  pid(name: string): number {
    return this.member(name).child.pid ?? -1;
  }

  /** Everything a member has logged so far (all its starts). */
  output(name: string): string {
    try {
      return readFileSync(this.member(name).log, 'utf8');
    } catch {
      return '';
    }
  }

  running(name: string): boolean {
    return !hasExited(this.member(name).child);
  }

  /** CPU seconds (user + system) a member's current process has used so far. */
  cpuSeconds(name: string): number {
    const text = readFileSync(`/proc/${this.pid(name)}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime (fields 14, 15)
  }

  /** Sends `signal` to a member and resolves once its process has exited. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const { child } = this.member(name);
    if (hasExited(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, signal);
    await exited;
  }

  /** Starts a member again with the same command, port and environment; resolves once it is ready. */
  async restart(name: string): Promise<void> {
    const member = this.member(name);
    if (!hasExited(member.child)) await this.kill(name, 'SIGTERM');
    this.launch(name, member.spec);
    await this.ready(name);
  }

  /** Stops every member (SIGTERM, SIGKILL after 5 s) and removes the logs. */
  async stop(): Promise<void> {
    await this.procs.killAll();
    this.procs.dispose();
    rmSync(this.logs, { recursive: true, force: true });
  }

  private member(name: string): Member {
    const member = this.members.get(name);
    if (!member) throw new Error(`no cluster member ${name}`);
    return member;
  }

  private launch(name: string, spec: MemberSpec): void {
    const log = join(this.logs, `${name}.log`);
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: this.options.dataDir, BOOTSTRAP: 'false', LOG_LEVEL: 'error', ...this.options.env };
    const args =
      spec.kind === 'api'
        ? ['-r', '@swc-node/register', 'apps/api/src/main.ts']
        : ingestArgs(['stream', ...spec.args, '--metrics-port', String(spec.metricsPort)]);
    if (spec.kind === 'api') Object.assign(env, { PORT: String(spec.port), HOST: '127.0.0.1' });
    else env.LOG_LEVEL = 'log'; // its "streaming …" line says it has joined
    const child = this.procs.spawn(process.execPath, args, { cwd: ROOT, env, log });
    const previous = this.members.get(name);
    this.members.set(name, { name, spec, child, log, starts: (previous?.starts ?? 0) + 1 });
  }

  // An API replica is ready when /health answers 2xx (its stores included); a worker once it logs
  // that it streams (since its latest start: the log is appended to).
  private async ready(name: string): Promise<void> {
    const member = this.member(name);
    const { child, spec, log, starts } = member;
    const timeoutMs = this.options.readyTimeoutMs ?? 90_000;
    const what = () => `${name} to be ready; log ${log}:\n${tailFile(log)}`;
    await waitFor(
      async () => {
        if (hasExited(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}); log:\n${tailFile(log, 30)}`);
        if (spec.kind === 'api') return answersOk(`${this.url(name)}/health`);
        return this.output(name).split(/^streaming /m).length - 1 >= starts;
      },
      { timeoutMs, everyMs: 100, what },
    );
  }
}
