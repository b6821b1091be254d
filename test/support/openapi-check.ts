import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers';

/** A value to check against the schema at a JSON pointer (`#/paths/...`) of the document. */
export interface SchemaCheck {
  readonly pointer: string;
  readonly instance: unknown;
}

/** The OpenAPI document checked by openapi-spec-validator, and values by jsonschema (Python: an independent reference). */
export function checkWithPython(document: unknown, checks: readonly SchemaCheck[] = []): { spec: string; results: Array<{ valid: boolean; errors: string[] }> } {
  const run = spawnSync('python3', [join(ROOT, 'test', 'support', 'openapi_check.py')], { input: JSON.stringify({ document, checks }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`openapi_check.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** A JSON pointer fragment from path segments (`~` and `/` escaped). */
export function pointer(...segments: Array<string | number>): string {
  return `#/${segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}
