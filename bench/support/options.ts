/** Parses `--key value` pairs; a flag without a value (`--quick`) is 'true'. */
export function options(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) if (args[i].startsWith('--')) out[args[i].slice(2)] = args[i + 1] ?? 'true';
  return out;
}
