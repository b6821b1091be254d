/** True when `name` matches a glob-style pattern: `*` is any run of characters, `?` one; nothing else is special. */
export function matchesPattern(pattern: string, name: string): boolean {
  // Iterative wildcard match with backtracking to the last star: linear in practice, and no regex
  // is built from a pattern that came from a file.
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star !== -1) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when no patterns are set (no limit) or one of them matches `name`. */
export function allowedByPatterns(patterns: readonly string[] | undefined, name: string): boolean {
  return patterns === undefined || patterns.some((p) => matchesPattern(p, name));
}
