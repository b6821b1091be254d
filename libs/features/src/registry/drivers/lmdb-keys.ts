import type { RootDatabase } from 'lmdb';

/** The values of every key that starts with `prefix`, in key order. */
export function rangeValues<T>(db: RootDatabase, prefix: string): T[] {
  // '\uffff' sorts after every character used in keys, so this is the prefix's whole range.
  return [...db.getRange({ start: prefix, end: `${prefix}\uffff` })].map((e) => e.value as T);
}

/** A number fixed-width, so that key order is numeric order. */
export function padded(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
