import { longestSeconds, parseTimeSpan } from '../calendar/session-span';
import type { FeatureViewDefinition } from '../definitions/feature-definition';

/**
 * A view's lookback in milliseconds: the history before a range its SQL needs (null: the whole
 * history). A lookback of n sessions reads the longest time n + 1 sessions ever took, so the n
 * sessions before any range start are in it.
 */
export function lookbackMs(view: FeatureViewDefinition): number | null {
  if (!view.lookback) return null;
  const span = parseTimeSpan(view.lookback, 'lookback', view.calendar);
  return span.kind === 'duration' ? span.seconds * 1000 : longestSeconds({ ...span, sessions: span.sessions + 1 }) * 1000;
}
