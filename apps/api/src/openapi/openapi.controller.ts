import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Scope } from '../auth/scope.decorator';
import { OpenApiService } from './openapi.service';

// Nothing may load from elsewhere: the page is one file with inline style and no script.
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The API described: GET /openapi.json (generated from the routes' zod schemas and scopes) and
 * GET /docs (the same as a page). Both need the `read` scope, like the catalog: the document
 * lists no data, but a server with keys should not describe itself to callers without one.
 */
@Controller()
export class OpenApiController {
  constructor(@Inject(OpenApiService) private readonly openapi: OpenApiService) {}

  @Get('openapi.json')
  @Scope('read')
  document(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('content-type', 'application/json; charset=utf-8');
    return this.openapi.json();
  }

  @Get('docs')
  @Scope('read')
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    void reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).header('x-content-type-options', 'nosniff');
    return this.openapi.page();
  }
}
