import { existsSync, readFileSync, renameSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InvalidArgumentError } from '../errors/feature-store.error';
import { parseKeyFile, type ApiKeyEntry } from './api-key';
import { digestsEqual, keyDigest } from './key-digest';

/**
 * The keys file (AUTH_KEYS_FILE), read at start and again after it changes (no restart). A
 * presented key is hashed once: verified keys are cached until the file changes, so the lookup
 * path does no hashing and no file I/O per request.
 */
export class ApiKeyStore {
  private entries: ApiKeyEntry[];
  private digests: Array<{ entry: ApiKeyEntry; digest: Buffer }>;
  private readonly verified = new Map<string, ApiKeyEntry>();
  private stale = false;
  private readonly watcher?: FSWatcher;

  /** Loads the file (a bad file throws, naming the entry) and watches its folder for changes. */
  constructor(
    readonly path: string,
    private readonly onReloadError: (message: string) => void = (m) => console.error(m),
  ) {
    this.entries = ApiKeyStore.read(path);
    this.digests = ApiKeyStore.digestsOf(this.entries);
    // The folder, not the file: editors and `keys create` replace the file by a rename.
    this.watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(path)) this.stale = true;
    });
  }

  /** The entry whose hash matches the presented key, or undefined; compared in constant time. */
  verify(key: string): ApiKeyEntry | undefined {
    if (this.stale) this.reload();
    const cached = this.verified.get(key);
    if (cached) return cached;
    const digest = keyDigest(key);
    let found: ApiKeyEntry | undefined;
    // Every entry is compared, so the time does not tell which one matched.
    for (const d of this.digests) if (digestsEqual(d.digest, digest)) found = d.entry;
    if (found) this.verified.set(key, found);
    return found;
  }

  /** The keys as loaded (with their hashes: callers that answer clients drop them). */
  list(): readonly ApiKeyEntry[] {
    if (this.stale) this.reload();
    return this.entries;
  }

  close(): void {
    this.watcher?.close();
  }

  private reload(): void {
    this.stale = false;
    try {
      this.entries = ApiKeyStore.read(this.path);
      this.digests = ApiKeyStore.digestsOf(this.entries);
      this.verified.clear();
    } catch (error) {
      // A half-edited file must not lock everyone out, nor let everyone in: the last good keys stay.
      this.onReloadError(`keys file not reloaded, keeping the previous keys: ${(error as Error).message}`);
    }
  }

  /** Reads and checks a keys file; a missing file is an error naming it. */
  static read(path: string): ApiKeyEntry[] {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(`AUTH_KEYS_FILE ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { field: 'AUTH_KEYS_FILE' });
    }
    return parseKeyFile(text, path);
  }

  /** Appends an entry to a keys file (created when missing) atomically: a temp file, then a rename. */
  static append(path: string, entry: ApiKeyEntry): void {
    const entries = existsSync(path) ? ApiKeyStore.read(path) : [];
    if (entries.some((e) => e.id === entry.id)) throw new InvalidArgumentError(`id: a key with id ${entry.id} already exists in ${path}`, { field: 'id' });
    const next = [...entries, entry];
    parseKeyFile(JSON.stringify(next), path);
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, path);
  }

  private static digestsOf(entries: readonly ApiKeyEntry[]): Array<{ entry: ApiKeyEntry; digest: Buffer }> {
    return entries.map((entry) => ({ entry, digest: Buffer.from(entry.keyHash.slice('sha256:'.length), 'hex') }));
  }
}
