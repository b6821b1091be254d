import { join } from 'node:path';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { query } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';

describe('training sets over HTTP: point in time, reproducible, linked to runs', () => {
  let api: TestApi;
  let base: string;
  let tmp: { dir: string };
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);

  beforeAll(async () => {
    api = await startTestApi({ BOOTSTRAP_SYMBOLS: '2', BOOTSTRAP_DAYS: '60' });
    base = api.base;
    tmp = { dir: api.dataDir };
  });
  afterAll(() => api.stop());

  const entities = [
    { symbol: 'BTC-USD', ts: '2021-04-12T10:59:42Z', label: 1 },
    { symbol: 'BTC-USD', ts: '2021-04-13T00:00:00Z', label: 0 }, // exactly at a bar's close
    { symbol: 'BTC-USD', ts: '2021-06-26 12:00:00', label: 1 }, // naive = UTC; the 2021-06-25 bar is missing
    { symbol: 'NOPE', ts: '2021-04-12T00:00:00Z', label: 0 },
    { symbol: 'BTC-USD', ts: '2021-03-01T00:00:00Z', label: 0 }, // before any data
    { symbol: 'BTC-USD', ts: '2021-08-01T00:00:00Z', label: 1 }, // beyond the 3-day TTL of the last bar
    { symbol: 'BTC-USD', ts: '2021-04-12T10:59:42Z', label: 1 }, // a duplicate, kept
  ];
  const features = ['returns:ret_1d', 'volatility@1:vol_20d', 'updown:going_up'];

  it('returns one row per entity row, in order, with the values a plain SQL query over the offline store gives', async () => {
    const res = await call('POST', '/v1/training-sets', { features, entities, pointInTime: 'event' });
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual(['symbol', 'ts', 'label', 'returns__ret_1d', 'volatility__vol_20d', 'updown__going_up']);
    expect(res.body.rows).toHaveLength(entities.length);
    expect(res.body.rows.map((r: { label: number }) => r.label)).toEqual(entities.map((e) => e.label));
    // Independent reference: for each row, the latest offline row with t - 3d <= event_ts <= t.
    for (const [i, e] of entities.entries()) {
      const t = new Date(e.ts.includes('Z') ? e.ts : `${e.ts.replace(' ', 'T')}Z`).toISOString();
      const ref = async (view: string, feature: string) =>
        (
          await query<{ v: unknown }>(
            `SELECT ${feature} AS v FROM read_parquet('${tmp.dir}/offline/${view}/v1/*.parquet')
             WHERE symbol = '${e.symbol}' AND event_ts <= TIMESTAMPTZ '${t}' AND event_ts >= TIMESTAMPTZ '${t}' - INTERVAL 3 DAY
             ORDER BY event_ts DESC, created_ts DESC LIMIT 1`,
          )
        )[0]?.v ?? null;
      expect({ i, ret: res.body.rows[i].returns__ret_1d, vol: res.body.rows[i].volatility__vol_20d, up: res.body.rows[i].updown__going_up }).toEqual({
        i,
        ret: await ref('returns', 'ret_1d'),
        vol: await ref('volatility', 'vol_20d'),
        up: await ref('updown', 'going_up'),
      });
    }
    expect(res.body.rows[3].returns__ret_1d).toBeNull();
    expect(res.body.rows[5].returns__ret_1d).toBeNull();
    expect(res.body.rows[2].returns__ret_1d).not.toBeNull(); // the bar of 2021-06-24 (closed 06-25) is within the TTL
  });

  it('records a manifest and the same rows again; the same request gives the same digest', async () => {
    const a = await call('POST', '/v1/training-sets', { features, entities, runId: 'mlflow-run-1' });
    const b = await call('POST', '/v1/training-sets', { features, entities });
    expect(a.body.trainingSetId).not.toBe(b.body.trainingSetId);
    expect(a.body.digest).toBe(b.body.digest);
    const manifest = (await call('GET', `/v1/training-sets/${a.body.trainingSetId}`)).body;
    expect(manifest).toMatchObject({
      id: a.body.trainingSetId,
      digest: a.body.digest,
      entityDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      rowCount: entities.length,
      pointInTime: 'event',
      features: [
        { view: 'returns', version: 1, feature: 'ret_1d' },
        { view: 'volatility', version: 1, feature: 'vol_20d' },
        { view: 'updown', version: 1, feature: 'going_up' },
      ],
      runIds: ['mlflow-run-1'],
    });
    // The server's own path to the stored file is not the client's business (nor anyone's to read).
    expect(manifest).not.toHaveProperty('file');
    expect(JSON.stringify(manifest)).not.toContain('.parquet');
    expect((await call('GET', `/v1/training-sets/${a.body.trainingSetId}/data`)).body.rows).toEqual(a.body.rows);
    const other = await call('POST', '/v1/training-sets', { features, entities: entities.slice(1) });
    expect(other.body.digest).not.toBe(a.body.digest);
    // The same rows in another order, and one label changed: other digests (set and entity frame).
    const swapped = await call('POST', '/v1/training-sets', { features, entities: [entities[1], entities[0], ...entities.slice(2)] });
    const relabelled = await call('POST', '/v1/training-sets', { features, entities: [{ ...entities[0], label: 7 }, ...entities.slice(1)] });
    expect(new Set([a.body.digest, swapped.body.digest, relabelled.body.digest]).size).toBe(3);
    const entityDigests = await Promise.all([a, swapped, relabelled].map(async (r) => (await call('GET', `/v1/training-sets/${r.body.trainingSetId}`)).body.entityDigest));
    expect(new Set(entityDigests).size).toBe(3);
  });

  it('answers CSV, Parquet and Arrow IPC by Accept, with the same digest and values', async () => {
    const json = await call('POST', '/v1/training-sets', { features, entities });
    const fetchAs = async (accept: string) => {
      const res = await fetch(`${base}/v1/training-sets`, { method: 'POST', body: JSON.stringify({ features, entities }), headers: { 'content-type': 'application/json', accept } });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const csv = await fetchAs('text/csv');
    expect(csv.res.headers.get('x-training-set-digest')).toBe(json.body.digest);
    const lines = csv.bytes.toString('utf8').trim().split('\n');
    expect(lines[0]).toBe('symbol,ts,label,returns__ret_1d,volatility__vol_20d,updown__going_up');
    expect(lines).toHaveLength(entities.length + 1);
    expect(lines[1].startsWith('BTC-USD,2021-04-12T10:59:42')).toBe(true);

    const parquet = await fetchAs('application/vnd.apache.parquet');
    expect(parquet.res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const file = join(tmp.dir, 'answer.parquet');
    require('node:fs').writeFileSync(file, parquet.bytes);
    const fromParquet = await query(`SELECT * FROM read_parquet('${file}')`);
    expect(fromParquet).toEqual(json.body.rows);

    const arrow = await fetchAs('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(arrow.bytes);
    expect(table.numRows).toBe(entities.length);
    expect(table.getChild('returns__ret_1d')!.toArray()[0]).toBe(json.body.rows[0].returns__ret_1d);
    expect(new Date(Number(table.getChild('ts')!.get(0))).toISOString()).toBe('2021-04-12T10:59:42.000Z');
    expect(String(table.schema.fields.find((f) => f.name === 'ts')!.type)).toMatch(/Timestamp/);

    const again = await fetch(`${base}/v1/training-sets/${json.body.trainingSetId}/data`, { headers: { accept: 'text/csv' } });
    expect(again.headers.get('x-training-set-digest')).toBe(json.body.digest);
    expect((await fetch(`${base}/v1/training-sets`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', accept: 'image/png' } })).status).toBe(415);
  });

  it('builds the entity frame from a dataset\'s bars when asked (no entity frame needed)', async () => {
    const res = await call('POST', '/v1/training-sets', {
      features: ['returns:ret_1d'],
      entities: { from: 'bars_1d', symbols: ['BTC-USD'], start: '2021-04-01', end: '2021-04-30T23:59:59Z' },
    });
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(30); // bars closing 2021-04-01 .. 2021-04-30
    const offline = await query<{ ret_1d: number }>(
      `SELECT ret_1d FROM read_parquet('${tmp.dir}/offline/returns/v1/*.parquet') WHERE symbol = 'BTC-USD' AND event_ts BETWEEN TIMESTAMPTZ '2021-04-01' AND TIMESTAMPTZ '2021-04-30 23:59:59+00' ORDER BY event_ts`,
    );
    expect(res.body.rows.map((r: { returns__ret_1d: number }) => r.returns__ret_1d)).toEqual(offline.map((o) => o.ret_1d));
    const all = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: { from: 'bars_1d', symbols: 'all', start: '2021-06-20' } });
    expect(new Set(all.body.rows.map((r: { symbol: string }) => r.symbol)).size).toBe(3);
    expect((await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: { from: 'nope' } })).status).toBe(422);
  });

  it('gives a large set the same digest every time (row order, not thread timing), and its Arrow answer holds every value', async () => {
    // 300k rows: DuckDB aggregates them on several threads, which once made the digest vary.
    const frame = join(tmp.dir, 'large-frame.parquet');
    await query(
      `COPY (SELECT CASE WHEN i % 10 = 0 THEN 'NOPE' ELSE 'BTC-USD' END AS symbol,
                    TIMESTAMPTZ '2021-01-01 00:00:00+00' + to_seconds((hash(i) % (86400 * 365))::BIGINT) AS ts,
                    (i % 2)::INTEGER AS label
             FROM range(300000) t(i)) TO '${frame}' (FORMAT parquet)`,
    );
    const body = require('node:fs').readFileSync(frame);
    const q = `?features=${encodeURIComponent(features.join(','))}&pointInTime=event`;
    const post = () => fetch(`${base}/v1/training-sets${q}`, { method: 'POST', body, headers: { 'content-type': 'application/vnd.apache.parquet', accept: 'application/vnd.apache.arrow.stream' } });
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const res = await post();
      expect(res.status).toBe(200);
      answers.push({ id: res.headers.get('x-training-set-id')!, digest: res.headers.get('x-training-set-digest')!, bytes: Buffer.from(await res.arrayBuffer()) });
    }
    expect(new Set(answers.map((a) => a.digest)).size).toBe(1);
    expect(new Set(answers.map((a) => a.id)).size).toBe(3);

    // The Arrow answer against the stored Parquet rows, value by value (nulls, booleans, times).
    const parquet = await fetch(`${base}/v1/training-sets/${answers[0].id}/data`, { headers: { accept: 'application/vnd.apache.parquet' } });
    expect(parquet.headers.get('x-training-set-digest')).toBe(answers[0].digest);
    const storedFile = join(tmp.dir, 'large-answer.parquet');
    require('node:fs').writeFileSync(storedFile, Buffer.from(await parquet.arrayBuffer()));
    const stored = await query<Record<string, unknown>>(
      `SELECT symbol, epoch_ms(ts) AS ts_ms, label, returns__ret_1d, volatility__vol_20d, updown__going_up
       FROM read_parquet('${storedFile}', file_row_number = true) ORDER BY file_row_number`,
    );
    const table = tableFromIPC(answers[0].bytes);
    expect(table.numRows).toBe(300000);
    const column = (name: string) => Array.from(table.getChild(name)!.toArray() as ArrayLike<unknown>);
    const got = { symbol: column('symbol'), ts: column('ts').map(Number), label: column('label').map(Number) };
    expect(got.symbol).toEqual(stored.map((r) => r.symbol));
    expect(got.ts).toEqual(stored.map((r) => Number(r.ts_ms)));
    expect(got.label).toEqual(stored.map((r) => Number(r.label)));
    for (const name of ['returns__ret_1d', 'volatility__vol_20d', 'updown__going_up']) {
      const vector = table.getChild(name)!;
      const values = Array.from({ length: vector.length }, (_, i) => vector.get(i));
      expect({ name, values }).toEqual({ name, values: stored.map((r) => r[name]) });
    }
    expect(stored.filter((r) => r.returns__ret_1d === null).length).toBeGreaterThan(30000); // NOPE rows and gaps
  }, 300_000);

  it('takes a large entity frame as a CSV, Parquet or Arrow body with the options as query parameters', async () => {
    const json = await call('POST', '/v1/training-sets', { features, entities });
    const csv = ['symbol,ts,label', ...entities.map((e) => `${e.symbol},${e.ts},${e.label}`)].join('\n');
    const csvFile = join(tmp.dir, 'frame.csv');
    require('node:fs').writeFileSync(csvFile, csv);
    const parquetFile = join(tmp.dir, 'frame.parquet');
    await query(`COPY (SELECT * FROM read_csv('${csvFile}', all_varchar = true)) TO '${parquetFile}' (FORMAT parquet)`);
    const arrow = tableToIPC(tableFromArrays({ symbol: entities.map((e) => e.symbol), ts: entities.map((e) => e.ts), label: entities.map((e) => e.label) }), 'stream');
    const q = `?features=${encodeURIComponent(features.join(','))}&pointInTime=event`;
    for (const [type, body] of [
      ['text/csv', csv],
      ['application/vnd.apache.parquet', require('node:fs').readFileSync(parquetFile)],
      ['application/vnd.apache.arrow.stream', Buffer.from(arrow)],
    ] as const) {
      const res = await fetch(`${base}/v1/training-sets${q}`, { method: 'POST', body, headers: { 'content-type': type } });
      const answer = (await res.json()) as { rows: Array<Record<string, unknown>> };
      expect({ type, status: res.status }).toEqual({ type, status: 200 });
      const strip = (rows: Array<Record<string, unknown>>) => rows.map(({ label: _, ...r }) => r);
      expect(strip(answer.rows)).toEqual(strip(json.body.rows));
    }
    const noFeatures = await fetch(`${base}/v1/training-sets`, { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(noFeatures.status).toBe(400);
  });

  it('links runs both ways, idempotently', async () => {
    const set = await call('POST', '/v1/training-sets', { features: ['trend:rsi_14'], entities: entities.slice(0, 2) });
    expect((await call('POST', '/v1/runs', { runId: 'run-42', trainingSetIds: [set.body.trainingSetId], system: 'mlflow' })).status).toBe(200);
    expect((await call('POST', '/v1/runs', { runId: 'run-42', trainingSetIds: [set.body.trainingSetId], system: 'mlflow' })).status).toBe(200);
    expect((await call('GET', '/v1/runs/run-42')).body).toEqual({ runId: 'run-42', trainingSets: [set.body.trainingSetId], featureVersions: [{ view: 'trend', version: 1 }] });
    const runs = (await call('GET', '/v1/feature-views/trend/versions/1/runs')).body;
    expect(runs).toEqual([{ runId: 'run-42', trainingSetId: set.body.trainingSetId, linkedAt: expect.any(String) }]);
    expect((await call('GET', '/v1/runs/nobody')).status).toBe(404);
    expect((await call('POST', '/v1/runs', { runId: 'run-43', trainingSetIds: ['tset-nope'] })).status).toBe(422);
  });

  it('takes symbols with quotes, backslashes, semicolons, comments, newlines and non-ASCII through entity rows and dataset frames unchanged', async () => {
    const hostile = [`O'Brien "Q"; DROP TABLE bars_1d; --`, 'back\\slash\nnew line', 'Zürich €'];
    const bars = hostile.flatMap((symbol, k) =>
      [1, 2, 3].map((d) => ({ symbol, ts: `2021-05-0${d}T00:00:00Z`, open: 10, high: 20, low: 5, close: 10 + d + k, volume: 100 })),
    );
    const pushed = await call('POST', '/v1/datasets/bars_1d/rows', bars);
    expect({ status: pushed.status, accepted: pushed.body.accepted }).toEqual({ status: 200, accepted: bars.length });
    const byRows = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: hostile.map((symbol) => ({ symbol, ts: '2021-05-03T00:00:00Z' })) });
    expect(byRows.status).toBe(200);
    expect(byRows.body.rows.map((r: { symbol: string }) => r.symbol)).toEqual(hostile);
    byRows.body.rows.forEach((r: { returns__ret_1d: number }, k: number) => expect(r.returns__ret_1d).toBeCloseTo((13 + k) / (12 + k) - 1, 12));
    const byDataset = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: { from: 'bars_1d', symbols: hostile, start: '2021-05-01', end: '2021-05-03' } });
    expect(byDataset.status).toBe(200);
    expect(byDataset.body.rows.map((r: { symbol: string }) => r.symbol).sort()).toEqual(hostile.flatMap((h) => [h, h, h]).sort());
  });

  it('numbers the rows of an entity-row error from 1 (JSON rows and frames alike) and rejects times outside 1900 to 2199', async () => {
    const json = await call('POST', '/v1/training-sets', { features, entities: [entities[0], entities[1], { symbol: 'BTC-USD', ts: 'tomorrow' }] });
    expect({ status: json.status, details: json.body.error.details }).toEqual({ status: 400, details: { field: 'entities[2].ts', rows: [{ row: 3, raw: 'tomorrow' }] } });
    const csv = 'symbol,ts\nBTC-USD,2021-04-12T00:00:00Z\nBTC-USD,2021-04-13T00:00:00Z\nBTC-USD,tomorrow\n';
    const res = await fetch(`${base}/v1/training-sets?features=returns:ret_1d`, { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    const body = (await res.json()) as { error: { message: string; details: { rows: Array<{ row: number }> } } };
    expect({ status: res.status, message: body.error.message, rows: body.error.details.rows }).toEqual({
      status: 400,
      message: 'body row 3: ts: cannot parse "tomorrow" as a UTC timestamp',
      rows: [{ row: 3, raw: 'tomorrow' }],
    });
    const ancient = await call('POST', '/v1/training-sets', { features, entities: [{ symbol: 'BTC-USD', ts: '1850-01-01T00:00:00Z' }] });
    expect({ status: ancient.status, field: ancient.body.error.details.field, rows: ancient.body.error.details.rows }).toEqual({ status: 400, field: 'entities[0].ts', rows: [{ row: 1, raw: expect.stringMatching(/^1850-01-01/) }] });
  });

  it('takes JSON entity rows and NDJSON frames that mix dates and timestamps (a date is midnight UTC, naive is UTC)', async () => {
    // More rows than DuckDB's type sample, all dates first: the sample alone would call the column a DATE.
    const day = (i: number) => `2021-04-${String(10 + (i % 19)).padStart(2, '0')}`;
    const full = Array.from({ length: 25_000 }, (_, i) => ({ symbol: 'BTC-USD', ts: `${day(i)}T00:00:00Z`, label: i % 2 }));
    const mixed = full.map((e, i) => (i < 24_990 ? { ...e, ts: day(i) } : i % 2 ? e : { ...e, ts: `${day(i)} 00:00:00` }));
    const reference = await call('POST', '/v1/training-sets', { features, entities: full });
    expect(reference.status).toBe(200);
    const got = await call('POST', '/v1/training-sets', { features, entities: mixed });
    expect({ status: got.status, error: got.body.error }).toEqual({ status: 200, error: undefined });
    expect(got.body.rows).toEqual(reference.body.rows);
    expect(got.body.rows[0].ts).toBe('2021-04-10T00:00:00Z');
    expect(got.body.rows.filter((r: { returns__ret_1d: unknown }) => r.returns__ret_1d !== null).length).toBeGreaterThan(20_000);

    // A short mix, timestamp first and date first, against the same rows with full timestamps.
    const short = [
      { symbol: 'BTC-USD', ts: '2021-04-12', label: 1 },
      { symbol: 'BTC-USD', ts: '2021-05-01T00:00:00Z', label: 0 },
      { symbol: 'BTC-USD', ts: '2021-05-03 12:30:00', label: 1 },
    ];
    const shortFull = ['2021-04-12T00:00:00Z', '2021-05-01T00:00:00Z', '2021-05-03T12:30:00Z'].map((ts, i) => ({ ...short[i], ts }));
    const shortRef = await call('POST', '/v1/training-sets', { features, entities: shortFull });
    for (const rows of [short, [...short].reverse()]) {
      const res = await call('POST', '/v1/training-sets', { features, entities: rows });
      expect(res.status).toBe(200);
      expect(res.body.rows).toEqual(rows === short ? shortRef.body.rows : [...shortRef.body.rows].reverse());
    }

    // The same mix as an NDJSON frame body.
    const q = `?features=${encodeURIComponent(features.join(','))}&pointInTime=event`;
    const ndjson = mixed.map((e) => JSON.stringify(e)).join('\n');
    const res = await fetch(`${base}/v1/training-sets${q}`, { method: 'POST', body: ndjson, headers: { 'content-type': 'application/x-ndjson' } });
    const answer = (await res.json()) as { rows: unknown[]; error?: unknown };
    expect({ status: res.status, error: answer.error }).toEqual({ status: 200, error: undefined });
    expect(answer.rows).toEqual(reference.body.rows);
  }, 120_000);

  it('never names a server file in the error of an unreadable entity frame or entity rows', async () => {
    const q = `?features=returns:ret_1d`;
    const cases: Array<[string, string | Buffer]> = [
      ['application/x-ndjson', '{"symbol": "BTC-USD", "ts": "2021-04-12"}\n{not json'],
      ['application/x-ndjson', [...Array.from({ length: 25_000 }, () => '{"symbol":"BTC-USD","ts":"2021-04-12","label":1}'), '{"symbol":"BTC-USD","ts":"2021-04-12","label":{"a":[1]}}'].join('\n')],
      ['text/csv', Buffer.concat([Buffer.from('symbol,ts\nBTC-USD,2021-04-12\n'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(',2021-04-13\n')])],
      ['application/vnd.apache.parquet', Buffer.from('PAR1 this is not a parquet file PAR1')],
    ];
    const messages: string[] = [];
    for (const [type, body] of cases) {
      const res = await fetch(`${base}/v1/training-sets${q}`, { method: 'POST', body, headers: { 'content-type': type } });
      const answer = (await res.json()) as { error: { message: string } };
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      messages.push(JSON.stringify(answer.error));
    }
    const rows = Array.from({ length: 25_000 }, () => ({ symbol: 'BTC-USD', ts: '2021-04-12', label: 1 as unknown }));
    rows.push({ symbol: 'BTC-USD', ts: '2021-04-12', label: { a: [1] } });
    const json = await call('POST', '/v1/training-sets', { features: ['returns:ret_1d'], entities: rows });
    expect({ status: json.status, message: json.body.error.message }).toEqual({ status: 400, message: expect.stringMatching(/^entities: cannot read the entity rows: .*line 25001/) });
    messages.push(JSON.stringify(json.body.error));
    for (const message of messages) {
      expect(message).not.toContain('/tmp');
      expect(message).not.toContain(tmp.dir);
      expect(message).not.toMatch(/entities-[0-9a-f]{16}/);
    }
  }, 120_000);

  it.each([
    ['an unknown feature', { features: ['returns:nope'], entities }, 422, 'features[0]'],
    ['an unknown view', { features: ['nope:x'], entities }, 422, 'features[0]'],
    ['an unknown version', { features: ['returns@9:ret_1d'], entities }, 422, 'features[0]'],
    ['no features', { features: [], entities }, 400, 'features'],
    ['a malformed reference', { features: ['returns'], entities }, 400, 'features[0]'],
    ['no entities', { features, entities: [] }, 400, 'entities'],
    ['a bad timestamp', { features, entities: [entities[0], { symbol: 'BTC-USD', ts: 'tomorrow' }] }, 400, 'entities[1].ts'],
    ['a missing key column', { features, entities: [{ ts: '2021-04-01' }] }, 400, 'symbol'],
    ['a missing timestamp column', { features, entities: [{ symbol: 'BTC-USD' }] }, 400, 'ts'],
    ['a bad mode', { features, entities, pointInTime: 'yesterday' }, 400, 'pointInTime'],
    ['a bad run id', { features, entities, runId: 'a/b' }, 400, 'runId'],
  ])('rejects %s naming the field', async (_what, body, status, field) => {
    const res = await call('POST', '/v1/training-sets', body);
    expect({ status: res.status, field: res.body.error?.details?.field }).toEqual({ status, field });
  });
});
