import type { Client, Notification } from 'pg';
import type { PgPool } from './pg.pool';

/** The key of the definitions generation (the LMDB driver's own, kept for export/import). */
export const GENERATION_KEY = 'meta/definitions-generation';
/** The channel every definition change notifies, with the new generation as payload. */
export const GENERATION_CHANNEL = 'registry_definitions';

const RECONNECT_MS = 500;

/**
 * The definitions generation held in memory and kept current by LISTEN: each change notifies
 * the new number at commit, so every replica knows within milliseconds, and `current()` costs
 * nothing (the online path asks it once a second and must not wait on PostgreSQL). After a lost
 * connection it reconnects every 500 ms and reads the counter again (a notification sent
 * meanwhile is lost); until then it answers the last number it knew, so cached definitions keep
 * serving while PostgreSQL is down.
 */
export class GenerationWatcher {
  private generation = 0;
  private client: Client | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly pool: PgPool) {}

  /** Connects, listens and reads the current generation (fails when PostgreSQL cannot be reached). */
  static async start(pool: PgPool): Promise<GenerationWatcher> {
    const watcher = new GenerationWatcher(pool);
    await watcher.connect();
    return watcher;
  }

  /** The newest generation this process knows of. */
  current(): number {
    return this.generation;
  }

  /** Takes a generation this process committed itself (before its notification comes back). */
  observe(generation: number): void {
    if (generation > this.generation) this.generation = generation;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = await this.pool.dedicatedClient({ statementTimeout: false });
    try {
      client.on('notification', (n: Notification) => {
        if (n.channel === GENERATION_CHANNEL) this.observe(Number(n.payload));
      });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      await client.query(`LISTEN ${GENERATION_CHANNEL}`);
      // Read after LISTEN: a change committed in between is both read here and notified.
      const rows = (await client.query<{ n: string | null }>('SELECT value::text AS n FROM registry_definitions WHERE key = $1', [GENERATION_KEY])).rows;
      this.observe(Number(rows[0]?.n ?? 0));
      if (this.closed) await client.end();
      else this.client = client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw this.pool.mapped(error);
    }
  }

  private lost(client: Client): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => undefined);
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.closed) return;
      this.connect().catch(() => this.retry());
    }, RECONNECT_MS);
    this.timer.unref();
  }
}
