import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/scope.decorator';

/**
 * GET /ui: the catalog UI, one self-contained page (script and style inlined by
 * scripts/build-ui.js into dist/ui/index.html). Public: it holds no data; every figure it shows
 * comes from the API with the caller's key, which the page asks for when access control is on.
 */
@Controller('ui')
export class UiController {
  private cached?: { mtimeMs: number; page: UiPage };

  @Get()
  @Public()
  page(@Res({ passthrough: true }) reply: FastifyReply): string {
    const page = this.load();
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache');
    return page.html;
  }

  // Read again when the build replaced the file (a dev rebuilds while the server runs).
  private load(): UiPage {
    const file = join(repositoryRoot(), 'dist', 'ui', 'index.html');
    if (!existsSync(file)) return NOT_BUILT;
    const mtimeMs = statSync(file).mtimeMs;
    if (this.cached?.mtimeMs !== mtimeMs) this.cached = { mtimeMs, page: withPolicy(readFileSync(file, 'utf8')) };
    return this.cached.page;
  }
}

interface UiPage {
  readonly html: string;
  readonly csp: string;
}

// Only the page's own inline script (by hash) runs, and it may talk only to this server.
function withPolicy(html: string): UiPage {
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
  const csp = `default-src 'none'; script-src ${hashes.join(' ') || "'none'"}; style-src 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  return { html, csp };
}

const NOT_BUILT = withPolicy(
  '<!doctype html><meta charset="utf-8"><title>Feature store</title><p>The catalog UI is not built: run <code>npm run build</code> (or <code>npm start</code>, which builds when a source changed).</p>',
);

/** The folder holding package.json above this file (apps/api/src/ui in the sources, dist/apps/api/src/ui when built). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
