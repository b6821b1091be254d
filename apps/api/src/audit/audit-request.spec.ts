import { NotFoundException } from '@nestjs/common';
import { InvalidArgumentError } from '@app/features';
import { countsOf, isChangeRoute, keyIdOf, statusOfError, targetsOf } from './audit-request';

describe('what the audit interceptor reads from a request', () => {
  it('treats POST/PUT as changes, except the read-only POSTs and unmatched routes', () => {
    expect(isChangeRoute('POST', '/v1/datasets/:name/rows')).toBe(true);
    expect(isChangeRoute('PUT', '/v1/datasets/:name')).toBe(true);
    expect(isChangeRoute('POST', '/push')).toBe(true);
    for (const route of ['/v1/training-sets', '/v1/online-features', '/get-online-features']) expect(isChangeRoute('POST', route)).toBe(false);
    expect(isChangeRoute('GET', '/v1/datasets')).toBe(false);
    expect(isChangeRoute('POST', undefined)).toBe(false);
  });

  it('reads the key id defensively: anonymous without a usable one', () => {
    expect(keyIdOf({ auth: { keyId: 'ci-bot', scopes: ['write'] } })).toBe('ci-bot');
    for (const request of [{}, { auth: null }, { auth: {} }, { auth: { keyId: 42 } }, { auth: { keyId: '' } }]) expect(keyIdOf(request)).toBe('anonymous');
  });

  it('names the path name and the body fields that name a target, bounded', () => {
    expect(targetsOf({ name: 'bars_1d' }, Buffer.from('[]'))).toEqual(['bars_1d']);
    expect(targetsOf({}, { push_source_name: 'bars_push', df: {} })).toEqual(['bars_push']);
    expect(targetsOf({}, { feature_view_name: 'returns' })).toEqual(['returns']);
    expect(targetsOf({}, { runId: 'r1', trainingSetIds: ['a'] })).toEqual(['r1']);
    expect(targetsOf({ name: 'v' }, { name: 'v' })).toEqual(['v']);
    expect(targetsOf({}, [{ name: 'x' }])).toEqual([]);
    expect(targetsOf({}, { name: 'x'.repeat(10_000) })[0]).toHaveLength(200);
    expect(targetsOf({}, { name: 5 })).toEqual([]);
  });

  it('takes the counts of an answer, a push one level down, created as 1/0, and the path version', () => {
    expect(countsOf({ accepted: 2, rejected: 1, errors: [], batchId: 'b' })).toEqual({ accepted: 2, rejected: 1 });
    expect(countsOf({ kind: 'dataset', rows: { accepted: 3, rejected: 0 }, online: [] })).toEqual({ accepted: 3, rejected: 0 });
    expect(countsOf({ kind: 'feature-view', online: { view: 'v', version: 2, received: 5, written: 4 } })).toEqual({ version: 2, received: 5, written: 4 });
    expect(countsOf({ name: 'v', version: 1, created: true })).toEqual({ version: 1, created: 1 });
    expect(countsOf({ runId: 'r', trainingSets: ['a', 'b'] })).toEqual({ trainingSets: 2 });
    expect(countsOf({ jobId: 'j', rows: 10 }, { name: 'v', version: '3' })).toEqual({ version: 3, rows: 10 });
    expect(countsOf('null')).toEqual({});
  });

  it('gives a failure the status the error filter answers', () => {
    expect(statusOfError(new InvalidArgumentError('bad'))).toBe(400);
    expect(statusOfError(new NotFoundException())).toBe(404);
    expect(statusOfError(Object.assign(new Error('too large'), { statusCode: 413 }))).toBe(413);
    expect(statusOfError(new Error('boom'))).toBe(500);
  });
});
