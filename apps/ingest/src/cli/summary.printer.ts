import { formatCount, type IngestSummary, type MaterializeResult, type SymbolPull } from '@app/features';

/** A human summary of one CLI ingest, a few lines long. */
export function formatSummary(summary: IngestSummary, pulls: readonly SymbolPull[] = []): string {
  const lines: string[] = [];
  const seconds = summary.elapsedMs / 1000;
  const rate = seconds > 0 ? summary.accepted / seconds : 0;
  lines.push(
    `${summary.provider} → ${summary.dataset}: ${summary.accepted} rows accepted, ${summary.rejected} rejected` +
      ` in ${seconds.toFixed(1)} s (${formatCount(rate)} rows/s)`,
  );
  for (const b of summary.batches) {
    if (b.skipped) {
      lines.push(`  batch ${b.batchId}: same content ingested before, nothing written (use --force to ingest again)`);
      continue;
    }
    if (!b.batchId) continue;
    lines.push(`  batch ${b.batchId}: ${b.accepted} rows, ${b.files.length} files, ${b.minTs} .. ${b.maxTs}`);
    if (b.supersededInBatch > 0) lines.push(`    ${b.supersededInBatch} duplicate (keys, ts) rows: the later row of the batch won`);
    for (const gap of b.gaps) lines.push(`    gap: ${gap.key} is missing ${gap.missing} bar(s) inside its range`);
    if (b.ignoredColumns.length) lines.push(`    ignored columns: ${b.ignoredColumns.join(', ')}`);
    for (const e of b.errors.slice(0, 10)) lines.push(`    row ${e.row}: ${e.message}`);
    if (b.errors.length > 10 || b.rejected > b.errors.length) lines.push(`    … ${b.rejected} rejected rows in all`);
    if (b.quarantineFile) lines.push(`    rejected rows kept in ${b.quarantineFile}`);
  }
  for (const p of pulls) {
    if (p.status === 'failed') lines.push(`  ${p.symbol}: FAILED after ${p.attempts} attempt(s): ${p.error}`);
    else if (p.status === 'up-to-date') lines.push(`  ${p.symbol}: up to date`);
    else lines.push(`  ${p.symbol}: fetched ${p.url} (${p.attempts} attempt(s))`);
  }
  for (const f of summary.failures) lines.push(`  FAILED ${f.source}: ${f.error}`);
  return lines.join('\n');
}

/** "returns@1: 14663 rows in 0.4 s (36.6k rows/s), materialised 2021-03-27 .. 2026-11-25". */
export function formatMaterialization(r: MaterializeResult): string {
  const seconds = r.elapsedMs / 1000;
  const span = r.state ? `, materialised ${r.state.start.slice(0, 10)} .. ${r.state.end.slice(0, 10)}` : '';
  if (r.alreadyDone) return `${r.view}@${r.version}: already materialised for this range, nothing written${span}`;
  const revised = r.revisedRows > 0 ? ` (${r.revisedRows} revised: late or corrected bars)` : '';
  return `${r.view}@${r.version}: ${r.rows} rows${revised} in ${seconds.toFixed(1)} s (${formatCount(seconds > 0 ? r.rows / seconds : 0)} rows/s), ${r.onlineRows} online rows updated${span}`;
}
