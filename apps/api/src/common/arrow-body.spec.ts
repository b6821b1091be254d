import { Bool, DateDay, Float16, Float32, Float64, Int32, Int64, Table, TimestampMicrosecond, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { arrowToNdjson, isoUtc } from './arrow-body';

// A frame with every type the converter writes column by column, nulls in each, and hostile text.
function frame(): Table {
  return new Table({
    symbol: vectorFromArray(['A', 'B "quoted"', null, 'line\nbreak', 'ünï€ode']), // dictionary-encoded
    text: vectorFromArray(['x', null, '\\', '😀 \u0007', '{"json"}'], new Utf8()),
    ts: vectorFromArray([new Date('2021-01-01T00:00:00.123Z'), null, new Date('1999-12-31T23:59:59Z'), new Date(0), new Date('2200-01-01T00:00:00Z')], new TimestampMicrosecond()),
    day: vectorFromArray([new Date('2021-01-01T00:00:00Z'), null, new Date('2021-02-03T00:00:00Z'), null, new Date('1970-01-01T00:00:00Z')], new DateDay()),
    'we"ird name': vectorFromArray([1.5, NaN, null, -0, 1e21], new Float64()),
    f32: vectorFromArray([0.1, null, 2, -3.25, Infinity], new Float32()),
    big: vectorFromArray([1n, null, -(2n ** 40n), 0n, 2n ** 52n], new Int64()),
    up: vectorFromArray([true, false, null, true, false], new Bool()),
    // Without nulls: read as typed arrays.
    f16: vectorFromArray([0.5, -2, 1024, 0.25, 3], new Float16()),
    n: vectorFromArray([1, -2, 2 ** 31 - 1, 0, 7], new Int32()),
    ratio: vectorFromArray([0.1, 0.2, 1 / 3, 1e-300, -5], new Float64()),
  });
}

// The reference: Arrow's own per-value reading, row by row, with times as ISO text and BIGINT as
// numbers, through JSON.stringify (which writes NaN as null and -0 as 0).
function referenceRows(table: Table): unknown[] {
  return Array.from({ length: table.numRows }, (_, i) =>
    jsonRoundTrip(Object.fromEntries(
      table.schema.fields.map((f) => {
        const v: unknown = table.getChild(f.name)!.get(i);
        if (v === null || v === undefined) return [f.name, null];
        if (f.name === 'ts' || f.name === 'day') return [f.name, new Date(Number(v)).toISOString()];
        if (typeof v === 'bigint') return [f.name, Number(v)];
        return [f.name, v];
      }),
    )),
  );
}

function jsonRoundTrip(row: Record<string, unknown>): unknown {
  return JSON.parse(JSON.stringify(row));
}

describe('Arrow IPC body → NDJSON', () => {
  it('writes each row as the reference reads it, column by column, with the DuckDB types', () => {
    const table = frame();
    const { bytes, columnTypes } = arrowToNdjson(Buffer.from(tableToIPC(table, 'stream')));
    const lines = bytes.toString('utf8').split('\n');
    expect(lines).toHaveLength(table.numRows);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(referenceRows(table));
    expect(columnTypes).toEqual({ symbol: 'VARCHAR', text: 'VARCHAR', ts: 'TIMESTAMPTZ', day: 'DATE', 'we"ird name': 'DOUBLE', f32: 'FLOAT', big: 'BIGINT', up: 'BOOLEAN', f16: 'FLOAT', n: 'INTEGER', ratio: 'DOUBLE' });
  });

  it('spans pieces of rows without losing or doubling a line', () => {
    const n = 40_000;
    const table = new Table({ i: vectorFromArray(Array.from({ length: n }, (_, i) => i), new Float64()) });
    const lines = arrowToNdjson(Buffer.from(tableToIPC(table, 'stream'))).bytes.toString('utf8').split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('formats times exactly as Date does, leap days, sub-millisecond parts and far years included', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const times = [0, 951_782_400_000, 951_868_799_999.999, 4_107_542_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -2_208_988_800_000];
    for (let i = 0; i < 20_000; i++) times.push(random() * 4e12 + random());
    for (const ms of times) expect({ ms, iso: isoUtc(ms) }).toEqual({ ms, iso: new Date(ms).toISOString() });
  });

  it('answers a 400 naming the body for bytes that are not Arrow', () => {
    expect(() => arrowToNdjson(Buffer.from('not arrow'))).toThrow(/body: not an Arrow IPC stream/);
  });
});
