import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';

/**
 * Everything a request could have written, read independently of the API: the data folder's
 * files (lake, staging, quarantine, training sets, temp files; name and size), and every record
 * of the registry and of the online store (LMDB, read raw: key and a hash of the value bytes).
 * The audit trail is left out: refusals are recorded there by design.
 */
export interface WrittenState {
  readonly files: readonly string[];
  readonly registry: Readonly<Record<string, string>>;
  readonly online: Readonly<Record<string, string>>;
}

// LMDB's own files change size as the audit trail grows; their records are compared instead.
const LMDB_FOLDERS = new Set(['registry', 'online']);

export function writtenState(dataDir: string): WrittenState {
  return {
    files: listFiles(dataDir, ''),
    registry: records(join(dataDir, 'registry'), (key) => !key.startsWith('audit/') && key !== 'audit-seq'),
    online: records(join(dataDir, 'online'), () => true),
  };
}

function listFiles(root: string, under: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isDirectory()) {
      if (!(under === '' && LMDB_FOLDERS.has(entry.name))) out.push(`${path}/`, ...listFiles(root, path));
    } else out.push(`${path} ${statSync(join(root, path)).size}`);
  }
  return out.sort();
}

function records(path: string, keep: (key: string) => boolean): Record<string, string> {
  if (!existsSync(path)) return {};
  // A second read-only handle on the environment the server has open (lmdb shares it within a process).
  const db = open({ path, readOnly: true, encoding: 'binary', compression: false });
  const out: Record<string, string> = {};
  for (const { key, value } of db.getRange({})) {
    const name = typeof key === 'string' ? key : JSON.stringify(key);
    if (keep(name)) out[name] = createHash('sha256').update(value as Buffer).digest('hex').slice(0, 16);
  }
  return out;
}
