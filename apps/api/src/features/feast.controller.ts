import { Body, Catch, Controller, HttpCode, Logger, Post, Res, UseFilters, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorCode, FeatureStore, FeatureStoreError, InvalidArgumentError, feastResponseBody, type PushResult } from '@app/features';
import { InjectFeatureStore } from '../common/feature-store.provider';
import { toErrorResponse } from '../common/error.filter';
import { objectBody } from '../common/object-body';

/**
 * Errors of the Feast routes in Feast's own shape: a JSON string holding
 * {"module": "feast.errors", "class", "message"}, which Feast's SDK turns back into the matching
 * exception class. The status and the message (naming the field) are ours.
 */
@Catch()
export class FeastErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('FeastErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error, this.logger);
    const detail = { module: 'feast.errors', class: feastClass(error), message: body.error.message };
    void reply.status(status).header('content-type', 'application/json').send(JSON.stringify(JSON.stringify(detail)));
  }
}

function feastClass(error: unknown): string {
  if (!(error instanceof FeatureStoreError)) return 'FeastError';
  const field = (error.details as { field?: string } | undefined)?.field ?? '';
  if (error.code === ErrorCode.UnknownFeature) return /unknown feature view/.test(error.message) ? 'FeatureViewNotFoundException' : 'FeastObjectNotFoundException';
  if (error.code === ErrorCode.UnknownReference && field === 'featureService') return 'FeatureServiceNotFoundException';
  if (error.code === ErrorCode.UnknownReference && field === 'push_source_name') return 'PushSourceNotFoundException';
  return 'FeastError';
}

/**
 * Feast's feature-server routes, so Feast clients (its Python SDK with `online_store: type:
 * remote`, or plain HTTP) work unchanged.
 */
@Controller()
@UseFilters(FeastErrorFilter)
export class FeastController {
  constructor(@InjectFeatureStore() private readonly store: FeatureStore) {}

  /** Online lookup in Feast's request and response shapes (column-major, entity keys first). */
  @Post('get-online-features')
  @HttpCode(200)
  async getOnlineFeatures(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<Buffer> {
    const request = objectBody(body);
    const fullNames = flag(request, 'full_feature_names');
    const withViews = flag(request, 'include_feature_view_version_metadata');
    // As Feast: a feature service, when given, wins over a feature list.
    const byService = request.feature_service !== undefined && request.feature_service !== null;
    const result = await this.store.serving.lookup({ features: byService ? undefined : request.features, featureService: byService ? request.feature_service : undefined, entities: request.entities });
    void reply.header('content-type', 'application/json');
    return feastResponseBody(result, fullNames, withViews);
  }

  /** Feast's push: feature values into a view's online store, or source rows into a dataset. */
  @Post('push')
  @HttpCode(200)
  push(@Body() body: unknown): Promise<PushResult> {
    const request = objectBody(body);
    return this.store.pushes.push({ push_source_name: request.push_source_name, df: request.df, to: request.to });
  }

  /** What Feast's SDK calls for `store.push()` / `write_to_online_store()` with a remote online store. */
  @Post('write-to-online-store')
  @HttpCode(200)
  async writeToOnlineStore(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const request = objectBody(body);
    await this.store.onlineWriter.write(request.feature_view_name, request.df, 'df');
    void reply.header('content-type', 'application/json');
    return 'null';
  }
}

function flag(request: Record<string, unknown>, name: string): boolean {
  const value = request[name] ?? false;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${name}: must be true or false`, { field: name });
  return value;
}
