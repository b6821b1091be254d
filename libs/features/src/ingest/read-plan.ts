import type { DuckDbSession } from '../duckdb/duckdb.client';
import { ErrorCode, FeatureStoreError, UnprocessableError } from '../errors/feature-store.error';
import { sql, type Sql } from '../sql/sql';
import type { ResolvedMapping, SourceColumn } from './column-mapping';
import { readerSql, type IngestSource } from './ingest-source';
import type { ProgressSink } from './progress';

/** One way of reading a source: the reader, the columns it yields, and whether it is the last resort. */
export interface ReadPlan {
  readonly reader: Sql;
  readonly columns: readonly SourceColumn[];
  readonly final: boolean;
}

/**
 * Fast path first: let DuckDB parse typed columns (forcing the dataset's types on mapped CSV
 * columns, and on the JSON fields of a writer that checked their types). If one bad value breaks
 * that read, read everything as text instead, so that the bad value fails only its own row.
 */
export function readPlans(source: IngestSource, described: readonly SourceColumn[], mapping: ResolvedMapping): ReadPlan[] {
  const asText: ReadPlan = {
    reader: readerSql(source, { allText: true, jsonColumns: described.map((c) => c.name) }),
    columns: described.map((c) => ({ name: c.name, type: 'VARCHAR' })),
    final: true,
  };
  if (source.kind === 'query' || source.format === 'parquet') return [{ reader: readerSql(source), columns: described, final: true }];
  const forced: Record<string, string> = {};
  for (const { spec, origin } of mapping.columns) {
    if ('source' in origin && spec.type !== 'TIMESTAMPTZ') forced[origin.source.name] = spec.type;
  }
  if (source.format !== 'csv') {
    // JSON is read as text, per row (its types vary by row, and DuckDB's typed JSON read converts
    // some values the text path rejects, e.g. true as 1), unless its writer names its fields and
    // has checked their JSON types (the stream): then typed first, the dataset's types on mapped
    // columns, text for the rest (timestamps included).
    if (source.kind !== 'file' || !source.fields) return [asText];
    const types = Object.fromEntries(described.map((c) => [c.name, forced[c.name] ?? 'VARCHAR']));
    const typed: ReadPlan = { reader: readerSql(source, { jsonTypes: types }), columns: described.map((c) => ({ name: c.name, type: types[c.name] })), final: false };
    return [typed, asText];
  }
  const typed: ReadPlan = {
    reader: readerSql(source, { csvTypes: forced }),
    columns: described.map((c) => ({ name: c.name, type: forced[c.name] ?? c.type })),
    final: false,
  };
  return [typed, asText];
}

/** A failed read as the 4xx it is: the source cannot be read. */
export function readError(source: IngestSource, error: unknown): Error {
  if (error instanceof FeatureStoreError) return error;
  return new UnprocessableError(ErrorCode.InvalidArgument, `cannot read ${source.label}: ${(error as Error).message.split('\n')[0]}`, {
    field: 'source',
  });
}

/** The columns and types of a source, as DuckDB reads it. */
export async function describeSource(session: DuckDbSession, source: IngestSource): Promise<SourceColumn[]> {
  if (source.kind === 'file' && source.fields && (source.format === 'json' || source.format === 'ndjson')) {
    return source.fields.map((name) => ({ name, type: 'VARCHAR' }));
  }
  try {
    const rows = await session.all<{ column_name: string; column_type: string }>(sql`DESCRIBE SELECT * FROM ${readerSql(source)}`);
    return rows.map((r) => ({ name: r.column_name, type: r.column_type }));
  } catch (error) {
    throw new UnprocessableError(ErrorCode.InvalidArgument, `cannot read ${source.label}: ${(error as Error).message.split('\n')[0]}`, {
      field: 'source',
    });
  }
}

/** Runs a long statement while reporting DuckDB's own progress to the sink. */
export async function runWithProgress(session: DuckDbSession, statement: Sql, progress: ProgressSink, label: string): Promise<void> {
  const timer = setInterval(() => {
    const p = session.progress;
    progress.update(label, p.percentage >= 0 ? p.percentage / 100 : undefined, p.rowsProcessed);
  }, 250);
  try {
    await session.run(statement);
  } finally {
    clearInterval(timer);
  }
}
