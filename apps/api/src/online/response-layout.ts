import type { OnlineColumn, OnlineResult, OnlineStatus, OnlineRow } from '@app/features';

/**
 * Consecutive requested columns of one view version, with the JSON they render to, cached as
 * UTF-8 bytes: a feature service's columns come in a few runs, one per view, and the drivers hand
 * back the same row object while a stored row is unchanged, so most of an answer is bytes written
 * before and copied once into the answer (no half-megabyte string to build, measure and encode).
 */
export interface ColumnRun {
  readonly table: number;
  readonly columns: readonly OnlineColumn[];
  /** `"name":` per column. */
  readonly prefixes: readonly string[];
  /** `"a":null,"b":null`: the values (or event times) of a run without a row. */
  readonly nulls: Buffer;
  /** `"a":"PRESENT","b":"PRESENT"` per status. */
  readonly statuses: Readonly<Record<OnlineStatus, Buffer>>;
  /** `"a":1.5,"b":null` per row. */
  readonly values: WeakMap<OnlineRow, Buffer>;
  /** `"a":"<ts>","b":"<ts>"` per event time (most rows of a view share a few). */
  readonly times: Map<string, Buffer>;
  /** Feast's value text per column, per row. */
  readonly feastValues: WeakMap<OnlineRow, readonly string[]>;
}

export const TIMES_CACHE_LIMIT = 4096;
interface Layout {
  readonly columns: readonly OnlineColumn[];
  readonly keyColumns: readonly string[];
  readonly runs: readonly ColumnRun[];
  /** `{"featureNames":[…],"versions":{…},"rows":[`: the same for every answer of a resolution. */
  readonly head: Buffer;
}

const layouts = new WeakMap<readonly number[], Layout>();

/** The runs and the fixed head of a resolution's answers, computed once per resolution. */
export function layout(result: OnlineResult): Layout {
  const cached = layouts.get(result.columnTable);
  if (cached !== undefined && cached.columns === result.columns && cached.keyColumns === result.keyColumns) return cached;
  const runs: ColumnRun[] = [];
  let from = 0;
  for (let c = 1; c <= result.columns.length; c++) {
    if (c < result.columns.length && result.columnTable[c] === result.columnTable[from]) continue;
    const columns = result.columns.slice(from, c);
    const prefixes = columns.map((column) => `${JSON.stringify(column.name)}:`);
    const each = (text: string) => Buffer.from(prefixes.map((p) => p + text).join(','));
    runs.push({
      table: result.columnTable[from],
      columns,
      prefixes,
      nulls: each('null'),
      statuses: { PRESENT: each('"PRESENT"'), NOT_FOUND: each('"NOT_FOUND"'), OUTSIDE_TTL: each('"OUTSIDE_TTL"') },
      values: new WeakMap(),
      times: new Map(),
      feastValues: new WeakMap(),
    });
    from = c;
  }
  // Keyed by what a column's name starts with: `view`, or `view@N` for a feature asked at several
  // versions (its columns are `view@N__feature`), so every column finds its version.
  const versions: Record<string, number> = {};
  for (const c of result.columns) versions[c.name.slice(0, c.name.lastIndexOf('__'))] = c.version;
  const names = [...result.keyColumns, ...result.columns.map((c) => c.name)].map((n) => JSON.stringify(n));
  const head = Buffer.from(`{"featureNames":[${names.join(',')}],"versions":${JSON.stringify(versions)},"rows":[`);
  const built = { columns: result.columns, keyColumns: result.keyColumns, runs, head };
  layouts.set(result.columnTable, built);
  return built;
}

/** An answer assembled from cached bytes and short text, copied once into one buffer. */
export class Pieces {
  private readonly pieces: Array<Buffer | string> = [];
  // An upper bound: a UTF-16 unit is at most 3 UTF-8 bytes.
  private bound = 0;

  text(text: string): void {
    this.pieces.push(text);
    this.bound += text.length * 3;
  }

  bytes(bytes: Buffer): void {
    this.pieces.push(bytes);
    this.bound += bytes.length;
  }

  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.bound);
    let at = 0;
    for (const piece of this.pieces) {
      if (typeof piece === 'string') at = writeText(out, piece, at);
      else {
        out.set(piece, at);
        at += piece.length;
      }
    }
    return out.subarray(0, at);
  }
}

// Short text byte by byte while it is ASCII (a native write per comma costs more than the loop).
function writeText(out: Buffer, text: string, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return at + out.write(text.slice(i), at);
    out[at++] = code;
  }
  return at;
}
