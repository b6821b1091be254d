import { Inject, Injectable, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.generator';
import { renderDocsPage } from './docs-page';
import { routesOf } from './route-inventory';

/** The API's version in the document (the HTTP contract's, not the package's). */
const API_VERSION = '1';

/**
 * The OpenAPI document of every controller of the running app, built once on first use (the
 * routes do not change after start-up), and its HTML page.
 */
@Injectable()
export class OpenApiService {
  private document?: { json: string; parsed: OpenApiDocument; page: string };

  constructor(@Inject(DiscoveryService) private readonly discovery: DiscoveryService) {}

  /** The document as data. */
  get(): OpenApiDocument {
    return this.built().parsed;
  }

  /** The document serialised (the same bytes on every call). */
  json(): string {
    return this.built().json;
  }

  /** The browsable page. */
  page(): string {
    return this.built().page;
  }

  private built(): { json: string; parsed: OpenApiDocument; page: string } {
    if (this.document === undefined) {
      const controllers = this.discovery
        .getControllers()
        .map((wrapper) => wrapper.metatype)
        .filter((type): type is Type<unknown> => typeof type === 'function');
      const parsed = buildOpenApiDocument(routesOf([...new Set(controllers)]), API_VERSION);
      this.document = { json: JSON.stringify(parsed), parsed, page: renderDocsPage(parsed) };
    }
    return this.document;
  }
}
