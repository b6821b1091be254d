import { InvalidArgumentError } from '@app/features';
import { Bool, Float64, Int32, Table, TimestampMillisecond, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { trainingSetCommand } from './training-set.request';
import { linkRunBody } from './run.request';

const JSON_TYPE = 'application/json';
const entities = [{ symbol: 'BTC-USD', ts: '2021-04-12T10:59:42Z', label: 1 }];

// The field a rejected request names (details.field), or the command it becomes.
function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return (error.details as { field: string }).field;
    throw error;
  }
  throw new Error('accepted');
}

describe('POST /v1/training-sets request → command', () => {
  it('turns a JSON body into a typed command with the defaults filled in', () => {
    expect(trainingSetCommand(JSON_TYPE, { features: ['returns:ret_1d'], entities }, {})).toEqual({
      features: { features: ['returns:ret_1d'] },
      entities: { kind: 'rows', rows: entities },
      pointInTime: 'event',
      timestampColumn: 'ts',
      runId: null,
      knownAt: null,
    });
  });

  it('prefers featureService, reads a dataset frame with its times, and keeps the options given', () => {
    const command = trainingSetCommand(
      'application/json; charset=utf-8',
      { features: ['ignored:x'], featureService: 'model_a', entities: { from: 'bars_1d', symbols: ["O'Q"], start: '2021-04-01' }, pointInTime: 'knowledge', timestampColumn: 'at', runId: 'run-1', knownAt: '2021-05-01 12:00' },
      {},
    );
    expect(command).toEqual({
      features: { featureService: 'model_a' },
      entities: { kind: 'dataset', dataset: 'bars_1d', symbols: ["O'Q"], start: new Date('2021-04-01T00:00:00Z'), end: null },
      pointInTime: 'knowledge',
      timestampColumn: 'at',
      runId: 'run-1',
      knownAt: new Date('2021-05-01T12:00:00Z'),
    });
    expect(trainingSetCommand(JSON_TYPE, { features: ['a:b'], entities: { from: 'bars_1d' } }, {}).entities).toMatchObject({ symbols: 'all' });
  });

  it('takes a binary body as the entity frame and the options from the query', () => {
    const csv = trainingSetCommand('text/csv', Buffer.from('symbol,ts\nA,2021-01-01\n'), { features: 'a:x, b@2:y,', pointInTime: 'knowledge', knownAt: '2021-02-01T00:00:00Z' });
    expect(csv).toMatchObject({ features: { features: ['a:x', 'b@2:y'] }, entities: { kind: 'frame', format: 'csv' }, pointInTime: 'knowledge', timestampColumn: 'ts', runId: null, knownAt: new Date('2021-02-01T00:00:00Z') });
    const arrow = trainingSetCommand('application/vnd.apache.arrow.stream', Buffer.from(tableToIPC(tableFromArrays({ symbol: ['A'], ts: ['2021-01-01'] }), 'stream')), { featureService: 'model_a' });
    expect(arrow).toMatchObject({ features: { featureService: 'model_a' }, entities: { kind: 'frame', format: 'ndjson' } });
  });

  it("keeps an Arrow frame's column types, so that a double 1.0 is not read back from JSON as an integer", () => {
    const table = new Table({
      symbol: vectorFromArray(['A', 'B']), // a dictionary of Utf8, as tableFromArrays makes strings
      ts: vectorFromArray([new Date('2021-01-01T00:00:00Z'), new Date('2021-01-02T00:00:00Z')], new TimestampMillisecond()),
      label: vectorFromArray([1, 0], new Float64()),
      n: vectorFromArray([1, 2], new Int32()),
      up: vectorFromArray([true, false], new Bool()),
    });
    const command = trainingSetCommand('application/vnd.apache.arrow.stream', Buffer.from(tableToIPC(table, 'stream')), { features: 'a:x' });
    expect(command.entities).toMatchObject({ kind: 'frame', format: 'ndjson', columnTypes: { symbol: 'VARCHAR', ts: 'TIMESTAMPTZ', label: 'DOUBLE', n: 'INTEGER', up: 'BOOLEAN' } });
    const nested = new Table({ symbol: vectorFromArray(['A']), ts: vectorFromArray(['2021-01-01']), tags: vectorFromArray([[1, 2]]) });
    expect(trainingSetCommand('application/vnd.apache.arrow.stream', Buffer.from(tableToIPC(nested, 'stream')), { features: 'a:x' }).entities).not.toHaveProperty('columnTypes');
  });

  it.each([
    ['no features', { entities }, 'features'],
    ['an empty feature list', { features: [], entities }, 'features'],
    ['a feature that is not text', { features: ['a:b', 3], entities }, 'features[1]'],
    ['no entities', { features: ['a:b'] }, 'entities'],
    ['an empty entity list', { features: ['a:b'], entities: [] }, 'entities'],
    ['an entity row that is not an object', { features: ['a:b'], entities: [entities[0], 'x'] }, 'entities[1]'],
    ['a dataset frame with a bad name', { features: ['a:b'], entities: { from: 'bars 1d' } }, 'entities.from'],
    ['a dataset frame with an empty symbol list', { features: ['a:b'], entities: { from: 'bars_1d', symbols: [] } }, 'entities.symbols'],
    ['a dataset frame with a bad start', { features: ['a:b'], entities: { from: 'bars_1d', start: 'soon' } }, 'entities.start'],
    ['a bad mode', { features: ['a:b'], entities, pointInTime: 'yesterday' }, 'pointInTime'],
    ['a bad timestamp column', { features: ['a:b'], entities, timestampColumn: 'a"b' }, 'timestampColumn'],
    ['a bad run id', { features: ['a:b'], entities, runId: 'a/b' }, 'runId'],
    ['a bad knownAt', { features: ['a:b'], entities, knownAt: 'last week' }, 'knownAt'],
    ['a knownAt that is not text', { features: ['a:b'], entities, knownAt: 5 }, 'knownAt'],
  ])('rejects %s naming the field', (_what, body, field) => {
    expect(fieldOf(() => trainingSetCommand(JSON_TYPE, body, {}))).toBe(field);
  });

  it('rejects a binary body without features, and an unknown content type with 415', () => {
    expect(fieldOf(() => trainingSetCommand('text/csv', Buffer.from('symbol,ts\n'), {}))).toBe('features');
    expect(() => trainingSetCommand('image/png', Buffer.from(''), {})).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
  });
});

describe('POST /v1/runs body', () => {
  it('fills in the system and tags, and names the bad field', () => {
    expect(linkRunBody.parse({ runId: 'r-1', trainingSetIds: ['tset-1'] })).toEqual({ runId: 'r-1', trainingSetIds: ['tset-1'], system: 'unknown', tags: {} });
    expect(linkRunBody.safeParse({ runId: 'r-1', trainingSetIds: [] }).error?.issues[0].path).toEqual(['trainingSetIds']);
    expect(linkRunBody.safeParse({ runId: 'a b', trainingSetIds: ['t'] }).error?.issues[0].path).toEqual(['runId']);
  });
});
