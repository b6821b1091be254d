import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LmdbOnlineStore, marketCatalog } from '@app/features';
import { openStore, ROOT, tempDataDir } from './support/helpers';
import { ensureDefaultBroker, produce } from './support/kafka';
import { freePort } from './support/ports';
import { metric } from './support/prometheus';
import { startWorker, type Worker } from './support/stream-worker';
import { expectEventually } from './support/wait';

const DAY = 86_400_000;
const END = Date.parse('2026-06-01T00:00:00Z');
const SYMBOLS = ['FRESH1', 'FRESH2', 'FRESH3'];

const day = (d: number) => new Date(END + d * DAY).toISOString().replace('.000Z', 'Z');
const barsOf = (d: number) =>
  SYMBOLS.map((symbol, i) => {
    const close = 100 + ((d * 7 + i * 13) % 40) + 0.5;
    return { key: symbol, value: JSON.stringify({ symbol, ts: day(d), open: close - 0.5, high: close + 1, low: close - 1, close, volume: 1000 + d }) };
  });

/** The shell commands of the README's "Streaming from Kafka" recipe (its first bash block). */
function readmeStreamingRecipe(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Streaming from Kafka'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)![1];
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

describe("the README's streaming recipe on a fresh data folder", () => {
  let tmp: ReturnType<typeof tempDataDir>;
  let worker: Worker | null = null;

  beforeAll(() => {
    tmp = tempDataDir();
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    tmp.cleanup();
  });

  it('gives current online values of the stream views, with no step besides the broker and the worker', async () => {
    const recipe = readmeStreamingRecipe();
    // The recipe is the broker and the worker, nothing else (no apply, no materialise).
    expect(recipe.filter((c) => c !== 'npm run kafka:start' && !c.startsWith('npm run ingest -- stream '))).toEqual([]);
    const stream = recipe.find((c) => c.startsWith('npm run ingest -- stream '))!;
    const args = stream.slice('npm run ingest -- stream '.length).split(/\s+/);
    const brokers = await ensureDefaultBroker();
    // A topic and group of its own on the shared test broker (the recipe's defaults are
    // market.bars_1d and ingest); the rest is the recipe's command as it stands.
    const topic = `test.fresh.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;
    const port = await freePort();
    await produce(brokers, topic, Array.from({ length: 60 }, (_, d) => barsOf(d + 1)).flat());
    worker = startWorker(tmp.dir, [...args, '--topic', topic, '--group', `g-${topic}`, '--batch-ms', '200', '--metrics-port', String(port)]);
    await worker.ready();

    const views = marketCatalog.views.filter((v) => v.stream).map((v) => ({ view: v.name, version: 1 }));
    expect(views.length).toBeGreaterThan(0);
    const expectOnlineAt = async (d: number) => {
      await expectEventually(
        async () => {
          expect(await metric(port, 'feature_store_stream_online_pending_symbols')).toBe(0);
          const online = LmdbOnlineStore.open(join(tmp.dir, 'online'));
          try {
            const rows = await online.read(views, SYMBOLS.map((s) => [s]));
            for (const [t, { view }] of views.entries()) {
              for (const [j, symbol] of SYMBOLS.entries()) expect({ view, symbol, ts: rows[t][j]?.eventTs }).toEqual({ view, symbol, ts: day(d) });
            }
          } finally {
            await online.close();
          }
        },
        90_000,
        250,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n\nworker output:\n${worker!.output()}`, { cause: error });
      });
    };
    await expectOnlineAt(60);
    // And they keep following the stream.
    await produce(brokers, topic, barsOf(61));
    await expectOnlineAt(61);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const store = await openStore(tmp.dir);
    try {
      // The catalog was registered as `npm run apply` would have (its service too), and computed.
      expect((await store.features.getService('market_signals')).version).toBe(1);
      const [[returns]] = await store.online.read([{ view: 'returns', version: 1 }], [['FRESH1']]);
      expect(typeof returns!.values.ret_1d).toBe('number');
    } finally {
      await store.close();
    }
  }, 240_000);
});
