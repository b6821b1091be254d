import { Redis } from 'ioredis';
import { ErrorCode, DependencyError } from '../../errors/feature-store.error';
import { DecodedRowCache } from '../decoded-row.cache';
import { onlineKey, type OnlineRow, type OnlineStoreDriver, type OnlineTable } from '../online-store.driver';

// Compare-and-set of one row: replaces the stored row only when the new one is not older (event
// time in ms, then created time in ms). Runs atomically in Redis, so concurrent writers and late
// or replayed rows cannot roll a value back, and a reader sees a whole row or the previous one.
// KEYS: the rows' keys; ARGV: event ms, created ms and JSON per row, then the generation key.
// Any write moves the generation on, in the same atomic step: readers that saw generation g
// know every row they read then is still current while it is g. It moves to the server's clock
// in microseconds when that is ahead, so a generation lost or rolled back with the data (a
// restart without persistence, a restore) does not come back with a value readers have seen.
const PUT_LATEST = `
local written = 0
for i = 1, #KEYS do
  local e = tonumber(ARGV[i * 3 - 2])
  local c = tonumber(ARGV[i * 3 - 1])
  local current = redis.call('GET', KEYS[i])
  local replace = true
  if current then
    local stored = cjson.decode(current)
    if stored.e > e or (stored.e == e and stored.c > c) then replace = false end
  end
  if replace then
    redis.call('SET', KEYS[i], ARGV[i * 3])
    written = written + 1
  end
end
if written > 0 then
  local generation = ARGV[#KEYS * 3 + 1]
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local next = (tonumber(redis.call('GET', generation)) or 0) + 1
  if now > next then next = now end
  redis.call('SET', generation, string.format('%.0f', next))
end
return written
`;

/** What one row is stored as: a JSON string with the times as epoch ms for the comparison. */
interface StoredRow {
  readonly e: number;
  readonly c: number;
  readonly row: OnlineRow;
}

const WRITE_CHUNK = 500;

/**
 * Online store on a Redis server (`ONLINE_STORE=redis://host:port[/db]`), for deployments where
 * several machines serve. Keys are `<prefix><view>\0<version>\0<key json>`, values JSON strings.
 * Commands fail at once while the server is unreachable (no offline queue), so a request gets a
 * clear 503 instead of hanging; the client reconnects by itself when the server is back.
 */
export class RedisOnlineStore implements OnlineStoreDriver {
  readonly name = 'redis';
  private lastError: string | null = null;
  private readonly decoded = new DecodedRowCache<string>();
  /** Moved on by every write (see PUT_LATEST). */
  private get generationKey(): string {
    return `${this.prefix}\u0000generation`;
  }

  private constructor(
    private readonly client: Redis,
    private readonly prefix: string,
    private readonly where: string,
  ) {
    client.on('error', (error: Error) => (this.lastError = error.message));
    client.on('ready', () => {
      this.lastError = null;
      // A (re)connection may be to a restarted or restored server: nothing read before counts.
      this.decoded.clear();
    });
  }

  /**
   * Connects, waiting up to the connect timeout for the server; a server that is down does not
   * fail the start (the store reports it, answers 503 and reconnects when it is back).
   */
  static async connect(url: string, options: { prefix?: string; commandTimeoutMs?: number } = {}): Promise<RedisOnlineStore> {
    const store = RedisOnlineStore.open(url, options);
    if (store.client.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          store.client.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, 2000);
        store.client.once('ready', done);
      });
    }
    return store;
  }

  static open(url: string, options: { prefix?: string; commandTimeoutMs?: number } = {}): RedisOnlineStore {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: 2000,
      // Keep trying to reconnect, at most every second, for as long as the process lives.
      retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
      lazyConnect: false,
    });
    client.defineCommand('putLatest', { lua: PUT_LATEST });
    const where = new URL(url).host;
    return new RedisOnlineStore(client, options.prefix ?? 'fs:', where);
  }

  async putLatest(view: string, version: number, rows: readonly OnlineRow[]): Promise<number> {
    let written = 0;
    for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
      const chunk = rows.slice(i, i + WRITE_CHUNK);
      const keys = chunk.map((r) => this.prefix + onlineKey(view, version, r.key));
      const args = chunk.flatMap((row) => {
        const stored: StoredRow = { e: Date.parse(row.eventTs), c: Date.parse(row.createdTs), row };
        return [String(stored.e), String(stored.c), JSON.stringify(stored)];
      });
      written += Number(await this.call(() => (this.client as RedisWithScripts).putLatest(keys.length, ...keys, ...args, this.generationKey)));
    }
    return written;
  }

  /**
   * Reads the rows of every key. Rows read at the store's current generation are still what is
   * stored (every write moves it on), so a lookup with no write since asks Redis only for the
   * generation; otherwise the generation and the rows come back together (MULTI) in one trip.
   */
  async read(tables: readonly OnlineTable[], keys: ReadonlyArray<readonly string[]>): Promise<Array<Array<OnlineRow | undefined>>> {
    const names: string[] = [];
    for (const t of tables) for (const k of keys) names.push(this.prefix + onlineKey(t.view, t.version, k));
    if (names.length === 0) return tables.map(() => []);
    const generation = await this.call(() => this.client.get(this.generationKey));
    if (generation !== null) {
      const stamp = Number(generation);
      const known = names.map((name) => this.decoded.atStamp(name, stamp));
      if (known.every((entry) => entry !== undefined)) return this.shape(tables, keys, (at) => known[at]!.row);
    }
    const replies = (await this.call(() => this.client.multi().get(this.generationKey).mget(names).exec())) as Array<[Error | null, unknown]> | null;
    const failed = replies === null ? new Error('transaction aborted') : (replies.find(([error]) => error !== null)?.[0] ?? null);
    if (failed || replies === null) throw new DependencyError(ErrorCode.Unavailable, `online store unavailable: redis at ${this.where}: ${failed?.message}`, { store: 'redis' });
    const current = replies[0][1] as string | null;
    const values = replies[1][1] as Array<string | null>;
    const stamp = current === null ? -1 : Number(current);
    return this.shape(tables, keys, (at) => {
      const value = values[at] || null;
      return this.decoded.found(names[at], value, stamp, () => ({ raw: value!, row: (JSON.parse(value!) as StoredRow).row }));
    });
  }

  // result[t][k] from a reader of the flat position t * keys + k.
  private shape(tables: readonly OnlineTable[], keys: ReadonlyArray<readonly string[]>, row: (at: number) => OnlineRow | undefined): Array<Array<OnlineRow | undefined>> {
    return tables.map((_, t) => keys.map((_k, k) => row(t * keys.length + k)));
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') {
      throw new DependencyError(ErrorCode.Unavailable, `online store unavailable: redis at ${this.where} is ${this.client.status}${this.lastError ? ` (${this.lastError})` : ''}`, {
        store: 'redis',
      });
    }
    try {
      return await command();
    } catch (error) {
      throw new DependencyError(ErrorCode.Unavailable, `online store unavailable: redis at ${this.where}: ${(error as Error).message}`, { store: 'redis' });
    }
  }
}

type RedisWithScripts = Redis & { putLatest(numKeys: number, ...args: string[]): Promise<number> };
