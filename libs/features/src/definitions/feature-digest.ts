import { canonicalJson, sha256 } from '../util/hash';
import { parseTimeSpan } from '../calendar/session-span';
import type { FeatureViewDefinition } from './feature-definition';

/**
 * Collapses runs of whitespace outside string literals and quoted identifiers to one space and
 * trims, so reformatting a view's SQL does not make a new version.
 */
export function normaliseSql(sql: string): string {
  let out = '';
  let quote: string | null = null;
  let pendingSpace = false;
  for (const ch of sql.trim()) {
    if (quote) {
      out += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (/\s/.test(ch)) {
      pendingSpace = true;
      continue;
    }
    if (pendingSpace && out.length > 0) out += ' ';
    pendingSpace = false;
    if (ch === "'" || ch === '"') quote = ch;
    out += ch;
  }
  return out.replace(/;\s*$/, '');
}

/** The parts of a view that decide its values: a change to any of them is a new version. */
export function canonicalView(view: FeatureViewDefinition): Record<string, unknown> {
  return {
    entity: view.entity,
    source: view.source,
    sql: normaliseSql(view.sql),
    timestampColumn: view.timestampColumn,
    features: view.features.map((f) => ({ name: f.name, type: f.type })),
    ...canonicalTtl(view),
    // How much history incremental materialisation reads before a range decides the values near
    // its start (a lookback too short cuts the SQL's windows), so it is part of the version.
    lookback: canonicalLookback(view),
    // Only a label says so: a feature view (kind absent or `feature`) keeps its digest.
    ...(view.kind === 'label' ? { kind: 'label' } : {}),
  };
}

// A TTL in sessions names its calendar; a duration keeps the form digests always had.
function canonicalTtl(view: FeatureViewDefinition): Record<string, unknown> {
  if (view.ttl === null) return { ttlSeconds: null };
  const span = parseTimeSpan(view.ttl, 'ttl', view.calendar);
  return span.kind === 'duration' ? { ttlSeconds: span.seconds } : { ttlSeconds: null, ttlSessions: { sessions: span.sessions, calendar: span.calendar } };
}

// Seconds for a duration (40d = 960h), sessions with their calendar for a session count.
function canonicalLookback(view: FeatureViewDefinition): unknown {
  if (!view.lookback) return null;
  const span = parseTimeSpan(view.lookback, 'lookback', view.calendar);
  return span.kind === 'duration' ? span.seconds : { sessions: span.sessions, calendar: span.calendar };
}

/** SHA-256 of the canonical definition. Metadata (description, owner, tags) is not part of it. */
export function viewDigest(view: FeatureViewDefinition): string {
  return sha256(canonicalJson(canonicalView(view)));
}
