import type { TrainingSetManifest } from '../registry/training-set-manifest.repository';
import { mlflowColumnType, mlflowDataset, trainingSetDataUrl } from './mlflow-dataset';

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
