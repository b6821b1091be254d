import { readFileSync } from 'node:fs';
import { marketCatalog, parseServiceDefinition, parseViewDefinition, type Catalog } from '@app/features';

/** The built-in market catalog plus the definitions of each `--file <defs.json>` ({entities, views, services}). */
export function catalogWithFiles(files: readonly string[]): Catalog {
  const catalog = { entities: [...marketCatalog.entities], views: [...marketCatalog.views], services: [...marketCatalog.services] };
  for (const file of files) {
    const defs = JSON.parse(readFileSync(file, 'utf8')) as Partial<Catalog>;
    catalog.entities.push(...(defs.entities ?? []));
    catalog.views.push(...(defs.views ?? []).map((v) => parseViewDefinition(v)));
    catalog.services.push(...(defs.services ?? []).map((v) => parseServiceDefinition(v)));
  }
  return catalog;
}
