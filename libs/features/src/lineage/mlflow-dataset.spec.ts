import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import type { ColumnStats } from '../stats/column-stats';
import { MLFLOW_PROFILE_LENGTH, mlflowColumnType, mlflowDataset, trainingSetDataUrl } from './mlflow-dataset';

const manifest: TrainingSetManifest = {
  id: 'tset-1',
  digest: 'a'.repeat(64),
  entityDigest: 'b'.repeat(64),
  rowCount: 2,
  createdAt: '2026-01-01T00:00:00.000Z',
  pointInTime: 'event',
  timestampColumn: 'ts',
  features: [{ view: 'returns', version: 1, feature: 'ret_1d' }],
  columns: ['symbol', 'ts', 'returns__ret_1d'],
  file: '/tmp/tset-1.parquet',
};

describe('mlflowColumnType', () => {
  // DuckDB's type names (as DESCRIBE gives them) and MLflow's (mlflow.types.DataType).
  it.each([
    ['DOUBLE', 'double'],
    ['FLOAT', 'double'],
    ['DECIMAL(18,3)', 'double'],
    ['BIGINT', 'long'],
    ['INTEGER', 'long'],
    ['SMALLINT', 'long'],
    ['BOOLEAN', 'boolean'],
    ['TIMESTAMP WITH TIME ZONE', 'datetime'],
    ['TIMESTAMP', 'datetime'],
    ['VARCHAR', 'string'],
    ['DATE', 'string'],
  ])('%s is %s, as in the Arrow answer', (duckType, expected) => {
    expect(mlflowColumnType(duckType)).toBe(expected);
  });
});

describe('mlflowDataset', () => {
  const columns = [
    { name: 'symbol', type: 'VARCHAR' },
    { name: 'ts', type: 'TIMESTAMP WITH TIME ZONE' },
    { name: 'returns__ret_1d', type: 'DOUBLE' },
  ];

  it('is an HTTP source with the data URL under `url` and the full digests beside it', () => {
    const dataset = mlflowDataset(manifest, columns, 'http://feature-store:8080/');
    expect(dataset.source_type).toBe('http');
    expect(JSON.parse(dataset.source)).toEqual({ url: 'http://feature-store:8080/v1/training-sets/tset-1/data', digest: manifest.digest, entityDigest: manifest.entityDigest });
    expect(dataset.digest).toBe(manifest.digest.slice(0, 36));
    expect(dataset.name).toBe('training-set-tset-1');
  });

  it('lists each column with its type, in stored order', () => {
    expect(JSON.parse(mlflowDataset(manifest, columns, 'http://h').schema!)).toEqual({
      mlflow_colspec: [
        { name: 'symbol', type: 'string' },
        { name: 'ts', type: 'datetime' },
        { name: 'returns__ret_1d', type: 'double' },
      ],
    });
  });

  it('keeps a base URL path and drops trailing slashes', () => {
    expect(trainingSetDataUrl('https://h/store//', 'tset-2')).toBe('https://h/store/v1/training-sets/tset-2/data');
  });
});

describe('mlflowDataset profile', () => {
  const stats = (name: string): ColumnStats => ({
    name,
    type: 'DOUBLE',
    count: 10,
    nulls: 1,
    mean: 0.5,
    std: 0.25,
    min: 0,
    max: 1,
    quantiles: { p1: 0, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 },
    histogram: { edges: Array.from({ length: 21 }, (_, i) => i / 20), counts: new Array<number>(20).fill(0) },
    values: null,
  });

  it('carries each column\'s statistics without the histogram', () => {
    const profile = JSON.parse(mlflowDataset(manifest, [{ name: 'x', type: 'DOUBLE', stats: stats('x') }], 'http://h').profile!);
    expect(profile.columns).toEqual([{ name: 'x', count: 10, nulls: 1, mean: 0.5, std: 0.25, min: 0, max: 1, quantiles: stats('x').quantiles }]);
    expect(profile.num_rows).toBe(2);
  });

  it('stays within the length MLflow 2 servers accept, saying how many columns were left out', () => {
    const columns = Array.from({ length: 500 }, (_, i) => ({ name: `feature_${i}`, type: 'DOUBLE', stats: stats(`feature_${i}`) }));
    const text = mlflowDataset(manifest, columns, 'http://h').profile!;
    expect(text.length).toBeLessThanOrEqual(MLFLOW_PROFILE_LENGTH);
    const profile = JSON.parse(text);
    expect(profile.columns.length + profile.columns_left_out).toBe(500);
    expect(profile.columns_left_out).toBeGreaterThan(0);
  });
});
