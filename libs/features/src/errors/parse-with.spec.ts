import { z } from 'zod';
import { InvalidArgumentError } from './feature-store.error';
import { MAX_LISTED_ISSUES, parseWith } from './parse-with';

describe('parseWith', () => {
  it('names the first field and lists at most MAX_LISTED_ISSUES problems, however many zod found', () => {
    const schema = z.object({ keys: z.array(z.string()) });
    let error: unknown;
    try {
      parseWith(schema, { keys: new Array(10_000).fill(1) }, 'body');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    const { message, details } = error as InvalidArgumentError;
    expect(message).toBe('keys[0]: Expected string, received number');
    const issues = (details as { issues: Array<{ path: unknown[] }> }).issues;
    expect(issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(issues.map((i) => i.path)).toEqual(Array.from({ length: MAX_LISTED_ISSUES }, (_, i) => ['keys', i]));
  });
});
