import { readFile } from 'node:fs/promises';
import { Injectable } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, TrainingSetReader, type SqlRow, type TrainingSet } from '@app/features';
import { tableToIPC } from 'apache-arrow';
import type { FastifyReply } from 'fastify';

/** The answer formats of a training set, chosen by Accept. */
export type TrainingSetFormat = 'json' | 'csv' | 'parquet' | 'arrow';

const MEDIA: Record<string, TrainingSetFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
  'application/vnd.apache.parquet': 'parquet',
  'application/x-parquet': 'parquet',
  'application/vnd.apache.arrow.stream': 'arrow',
};

const CONTENT_TYPE: Record<Exclude<TrainingSetFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
  arrow: 'application/vnd.apache.arrow.stream',
};

/** The JSON answer of POST /v1/training-sets. */
export interface CreatedTrainingSetBody {
  readonly trainingSetId: string;
  readonly digest: string;
  readonly columns: readonly string[];
  readonly rows: SqlRow[];
}

/** The JSON answer of GET /v1/training-sets/:id/data. */
export interface TrainingSetDataBody {
  readonly trainingSetId: string;
  readonly digest: string;
  readonly rows: SqlRow[];
}

/** Picks the answer format from an Accept header (first supported type wins; default JSON); 415 otherwise. */
/** A manifest as clients see it: without `file`, the server's own path to the stored Parquet. */
export type ManifestBody = Omit<TrainingSet, 'file'>;

/** Drops what only the server needs from a stored set's manifest. */
export function manifestBody(set: TrainingSet): ManifestBody {
  const { file: _file, ...manifest } = set;
  return manifest;
}

export function negotiateFormat(accept: string | undefined): TrainingSetFormat {
  if (!accept || accept.trim() === '' || accept.includes('*/*')) return 'json';
  for (const part of accept.split(',')) {
    const format = MEDIA[part.split(';')[0].trim().toLowerCase()];
    if (format) return format;
  }
  throw new FeatureStoreError(ErrorCode.UnsupportedMediaType, `Accept: none of ${accept} is offered; use ${Object.keys(MEDIA).join(', ')}`, { field: 'Accept' });
}

/**
 * Writes a stored training set as the client asked: JSON objects (small sets), or CSV, Parquet
 * (the stored file as is) or Arrow IPC with the set's id and digest in X-Training-Set-* headers.
 */
@Injectable()
export class TrainingSetPresenter {
  constructor(private readonly reader: TrainingSetReader) {}

  /** The answer to the request that created `set`. */
  async created(set: TrainingSet, format: TrainingSetFormat, reply: FastifyReply): Promise<CreatedTrainingSetBody | Buffer> {
    if (format === 'json') return { trainingSetId: set.id, digest: set.digest, columns: set.columns, rows: await this.reader.rows(set) };
    return this.binary(set, format, reply);
  }

  /** The answer to a later read of `set`. */
  async data(set: TrainingSet, format: TrainingSetFormat, reply: FastifyReply): Promise<TrainingSetDataBody | Buffer> {
    if (format === 'json') return { trainingSetId: set.id, digest: set.digest, rows: await this.reader.rows(set) };
    return this.binary(set, format, reply);
  }

  private async binary(set: TrainingSet, format: Exclude<TrainingSetFormat, 'json'>, reply: FastifyReply): Promise<Buffer> {
    const body = format === 'parquet' ? await readFile(set.file) : format === 'csv' ? await this.reader.csv(set) : asBuffer(tableToIPC(await this.reader.arrowTable(set), 'stream'));
    void reply.header('content-type', CONTENT_TYPE[format]).header('x-training-set-id', set.id).header('x-training-set-digest', set.digest);
    return body;
  }
}

// A Buffer over the IPC bytes, not a copy of them (a large set's answer is hundreds of MiB).
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
