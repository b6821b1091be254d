import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOfUtcDay } from '@app/features';
import { CACHE_DIR, dataDirOverLake } from '../support/cache';
import { applyAndMaterialize, ingestSyntheticBars, withStore } from '../support/store-setup';
import { benchCatalog, catalogDigest } from './bench-catalog';

export interface DataMarker {
  readonly endDate: string;
  readonly symbols: number;
  readonly days: number;
  readonly catalog: string;
}

/**
 * Synthetic bars ending today, the bench views and service, materialised into LMDB; cached, and
 * rebuilt when older than 7 days (the views' TTL is 30 days: older data would serve nulls).
 */
export async function ensureData(symbols: number, days: number): Promise<{ dir: string; marker: DataMarker }> {
  const dir = join(CACHE_DIR, `online-data-${symbols}x${days}`);
  const markerFile = join(dir, 'bench-online.json');
  const today = startOfUtcDay(new Date());
  if (existsSync(markerFile)) {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as DataMarker;
    const ageDays = (today.getTime() - new Date(marker.endDate).getTime()) / 86_400_000;
    if (marker.symbols === symbols && marker.days === days && marker.catalog === catalogDigest() && ageDays <= 7) return { dir, marker };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.error(`generating ${symbols} symbols x ${days} days ending ${today.toISOString().slice(0, 10)} into ${dir} …`);
  await withStore(
    dir,
    async (store) => {
      await ingestSyntheticBars(store, { symbols, days, seed: 7, endDate: today });
      await applyAndMaterialize(store, benchCatalog());
    },
    { ONLINE_STORE: 'lmdb' },
  );
  const marker: DataMarker = { endDate: today.toISOString(), symbols, days, catalog: catalogDigest() };
  writeFileSync(markerFile, JSON.stringify(marker));
  return { dir, marker };
}

/** A fresh data dir over the same lake whose online store is the given Redis (materialised now). */
export async function materializeIntoRedis(dataDir: string, redisUrl: string): Promise<{ dir: string; ms: number }> {
  const started = Date.now();
  const dir = dataDirOverLake('online-redis-run', dataDir);
  await withStore(dir, (store) => applyAndMaterialize(store, benchCatalog(), { registerBars: true }), { ONLINE_STORE: redisUrl });
  return { dir, ms: Date.now() - started };
}
