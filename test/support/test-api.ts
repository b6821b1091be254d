import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FeatureStore } from '@app/features';
import { createApi } from '../../apps/api/src/server';
import { ROOT, tempDataDir, testConfig } from './helpers';

/** A JSON answer of the API; `body` is loosely typed because tests probe arbitrary shapes. */
export interface ApiAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestApi {
  readonly app: NestFastifyApplication;
  readonly store: FeatureStore;
  readonly base: string;
  readonly dataDir: string;
  call(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

/** Boots the real API (Fastify, real port) on a fresh data dir, with the sample data bootstrapped. */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const tmp = tempDataDir();
  const { app, store } = await createApi(testConfig(tmp.dir, { BOOTSTRAP: 'true', SAMPLES_DIR: join(ROOT, 'data', 'samples'), ...env }));
  await app.listen(0, '127.0.0.1');
  const base = await app.getUrl();
  return {
    app,
    store,
    base,
    dataDir: tmp.dir,
    async call(method, path, body) {
      const res = await fetch(`${base}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await app.close();
      tmp.cleanup();
    },
  };
}
