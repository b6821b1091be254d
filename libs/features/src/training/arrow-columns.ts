import type { DuckDBVector } from '@duckdb/node-api';
import { Bool, Float64, Int64, TimestampMillisecond, Utf8, makeData, type Data, type DataType } from 'apache-arrow';

/** Fills one Arrow column from DuckDB's result vectors, chunk after chunk. */
export interface ColumnBuilder {
  put(vector: DuckDBVector, count: number, offset: number): void;
  finish(length: number): Data;
}

// @duckdb/node-api keeps a fixed-width vector's values in a typed array (`items`) and its
// validity as 64-bit words, least significant bit first (`validity.data`, null when all rows are
// valid): the same layouts as Arrow's. Read directly when they are there (a bulk copy instead
// of a BigInt test per value); otherwise fall back to getItem.
// A VARCHAR vector keeps its values as DuckDB's 16-byte string records (`dataView`): a uint32
// length, then the bytes themselves when they are at most 12 (as symbols are), else a pointer.
interface RawVector {
  readonly items?: unknown;
  readonly dataView?: unknown;
  readonly validity?: { readonly data: BigUint64Array | null; readonly offset: number };
}

// The validity bits as bytes (null: every row valid), or undefined when not readable directly.
function rawValidity(raw: RawVector): Uint8Array | null | undefined {
  if (!raw.validity || raw.validity.offset !== 0) return undefined;
  const data = raw.validity.data;
  return data ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
}

function rawItems<T extends Float64Array | BigInt64Array>(vector: DuckDBVector, ctor: { new (n: number): T }, count: number): { items: T; validity: Uint8Array | null } | null {
  const raw = vector as unknown as RawVector;
  const validity = rawValidity(raw);
  if (!(raw.items instanceof ctor) || (raw.items as T).length < count || validity === undefined) return null;
  return { items: raw.items as T, validity };
}

function rawStrings(vector: DuckDBVector, count: number): { records: Uint8Array; view: DataView; validity: Uint8Array | null } | null {
  const raw = vector as unknown as RawVector;
  const validity = rawValidity(raw);
  if (!(raw.dataView instanceof DataView) || raw.dataView.byteLength < count * 16 || validity === undefined) return null;
  const view = raw.dataView;
  return { records: new Uint8Array(view.buffer, view.byteOffset, count * 16), view, validity };
}

// Set bits per byte value.
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
});

/** A builder of `capacity` rows of one column of `type` (see arrowType). */
export function columnBuilder(type: DataType, capacity: number): ColumnBuilder {
  const nullBitmap = new Uint8Array((capacity + 7) >> 3);
  let nullCount = 0;
  const valid = (i: number) => (nullBitmap[i >> 3] |= 1 << (i & 7));
  // Copies `count` validity bits to the bitmap at `offset`; returns how many were invalid.
  const copyValidity = (bits: Uint8Array | null, count: number, offset: number) => {
    // Whole bytes at once where the rows start on a byte (every chunk but a short last one).
    let j = 0;
    if ((offset & 7) === 0) {
      const bytes = count >> 3;
      if (bits === null) nullBitmap.fill(0xff, offset >> 3, (offset >> 3) + bytes);
      else {
        nullBitmap.set(bits.subarray(0, bytes), offset >> 3);
        for (let b = 0; b < bytes; b++) nullCount += 8 - POPCOUNT[bits[b]];
      }
      j = bytes << 3;
    }
    for (; j < count; j++) {
      if (bits === null || bits[j >> 3] & (1 << (j & 7))) valid(offset + j);
      else nullCount++;
    }
  };
  if (type instanceof Float64 || type instanceof Int64 || type instanceof TimestampMillisecond) {
    const ctor = type instanceof Float64 ? Float64Array : BigInt64Array;
    const data = new ctor(capacity);
    return {
      put(vector, count, offset) {
        const raw = rawItems(vector, ctor as { new (n: number): Float64Array | BigInt64Array }, count);
        if (raw) {
          (data as Float64Array).set((raw.items as Float64Array).subarray(0, count), offset);
          copyValidity(raw.validity, count, offset);
          return;
        }
        for (let j = 0; j < count; j++) {
          const v = vector.getItem(j) as number | bigint | null;
          if (v === null) nullCount++;
          else {
            (data as Float64Array)[offset + j] = v as number;
            valid(offset + j);
          }
        }
      },
      finish: (length) => makeData({ type: type as Float64, length, nullCount, data: (data as Float64Array).subarray(0, length), nullBitmap }),
    };
  }
  if (type instanceof Bool) {
    const data = new Uint8Array((capacity + 7) >> 3);
    return {
      put(vector, count, offset) {
        for (let j = 0; j < count; j++) {
          const v = vector.getItem(j) as boolean | null;
          if (v === null) nullCount++;
          else {
            if (v) data[(offset + j) >> 3] |= 1 << ((offset + j) & 7);
            valid(offset + j);
          }
        }
      },
      finish: (length) => makeData({ type, length, nullCount, data, nullBitmap }),
    };
  }
  // Text: UTF-8 bytes and int32 offsets.
  const valueOffsets = new Int32Array(capacity + 1);
  let bytes = Buffer.allocUnsafe(Math.max(1024, capacity * 8));
  let used = 0;
  const reserve = (len: number) => {
    if (used + len <= bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(bytes.length * 2, used + len));
    bytes.copy(grown, 0, 0, used);
    bytes = grown;
  };
  return {
    put(vector, count, offset) {
      const raw = rawStrings(vector, count);
      for (let j = 0; j < count; j++) {
        const short = raw ? raw.view.getUint32(j * 16, true) : -1;
        if (raw && raw.validity !== null && !(raw.validity[j >> 3] & (1 << (j & 7)))) nullCount++;
        else if (raw && short <= 12) {
          // Copied from its record as bytes: no string made and encoded again.
          reserve(short);
          for (let k = 0, at = j * 16 + 4; k < short; k++) bytes[used + k] = raw.records[at + k];
          used += short;
          valid(offset + j);
        } else {
          const v = vector.getItem(j) as string | null;
          if (v === null) nullCount++;
          else {
            reserve(Buffer.byteLength(v, 'utf8'));
            used += bytes.write(v, used, 'utf8');
            valid(offset + j);
          }
        }
        valueOffsets[offset + j + 1] = used;
      }
    },
    finish: (length) =>
      makeData({ type: type as Utf8, length, nullCount, nullBitmap, valueOffsets: valueOffsets.subarray(0, length + 1), data: new Uint8Array(bytes.buffer, bytes.byteOffset, used) }),
  };
}


/**
 * The Arrow type a DuckDB column is answered as: timestamps as epoch milliseconds, integers
 * BIGINT, floats and decimals DOUBLE, everything else text.
 */
export function arrowType(duckType: string): DataType {
  const t = duckType.toUpperCase();
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return new Float64();
  if (t === 'BIGINT' || t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'HUGEINT') return new Int64();
  if (t === 'BOOLEAN') return new Bool();
  if (t.startsWith('TIMESTAMP')) return new TimestampMillisecond('UTC');
  return new Utf8();
}
