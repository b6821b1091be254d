/**
 * A value from a request as an error message shows it: short scalars as JSON, a long string cut,
 * arrays and objects by kind only. Writing the value itself would echo a megabyte string back,
 * and JSON.stringify overflows the stack on an array nested a few thousand deep.
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  if (typeof value === 'string' && value.length > 100) return `${JSON.stringify(value.slice(0, 100))}… (${value.length} characters)`;
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
