import type { FeatureViewDefinition } from '../definitions/feature-definition';
import { parseDuration } from '../util/time';

/** A view's lookback in milliseconds: the history before a range its SQL needs (null: the whole history). */
export function lookbackMs(view: FeatureViewDefinition): number | null {
  return view.lookback ? parseDuration(view.lookback, 'lookback').seconds * 1000 : null;
}
