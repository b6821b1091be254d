import { BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { ErrorCode, FeatureStoreError, InvalidArgumentError } from '@app/features';
import { isFeastRoute, feastErrorBody } from '../feast/feast-error';
import { toErrorResponse } from './error.filter';

const logger = new Logger('test');

describe('toErrorResponse: one error shape for every error', () => {
  beforeAll(() => jest.spyOn(logger, 'error').mockImplementation(() => undefined));

  it.each([
    ['a domain error with details', new InvalidArgumentError('name: bad', { field: 'name' }), 400, 'INVALID_ARGUMENT', { field: 'name' }],
    ['a domain error without details', new FeatureStoreError(ErrorCode.Conflict, 'taken'), 409, 'CONFLICT', null],
    ['an unknown route (Nest)', new NotFoundException('Cannot GET /x'), 404, 'NOT_FOUND', null],
    ['a body over the limit (Fastify)', Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'PAYLOAD_TOO_LARGE', null],
    ['a bad request (Nest)', new BadRequestException('bad'), 400, 'INVALID_ARGUMENT', null],
    ['a body over the limit (Nest, from Fastify)', new HttpException('Request body is too large', 413), 413, 'PAYLOAD_TOO_LARGE', null],
    ['an unparseable Content-Type (Nest, from Fastify)', new HttpException('Unsupported Media Type', 415), 415, 'UNSUPPORTED_MEDIA_TYPE', null],
    ['another 4xx', Object.assign(new Error('nope'), { statusCode: 405 }), 405, 'INVALID_ARGUMENT', null],
    ['a bug', new TypeError('x is undefined'), 500, 'INTERNAL', null],
    ['a thrown non-error', null, 500, 'INTERNAL', null],
  ])('%s', (_what, error, status, code, details) => {
    const response = toErrorResponse(error, logger);
    expect(response).toEqual({ status, body: { error: { code, message: expect.any(String), details } } });
    if (status === 500) expect(response.body.error.message).not.toContain('undefined');
  });
});

describe('Feast routes', () => {
  it('are recognised with or without a query', () => {
    expect(['/push', '/get-online-features?x=1', '/write-to-online-store', '/v1/online-features', '/pushes'].map(isFeastRoute)).toEqual([true, true, true, false, false]);
  });

  it("answer in Feast's shape: a JSON string of module, class and message", () => {
    const error = new FeatureStoreError(ErrorCode.UnknownReference, 'featureService: no feature service "x"', { field: 'featureService' });
    expect(JSON.parse(JSON.parse(feastErrorBody(error, error.message)))).toEqual({ module: 'feast.errors', class: 'FeatureServiceNotFoundException', message: error.message });
  });
});
