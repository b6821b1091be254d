import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './support/helpers';
import { startTestApi, type TestApi } from './support/test-api';

const run = promisify(execFile);

interface Example {
  /** The command as the README writes it (continuation lines joined). */
  readonly command: string;
  /** The comment lines right after it: what the README says it answers. */
  readonly says: string;
}

/** Every `curl` of the README's bash blocks that needs no API key, with the comment below it. */
function readmeCurls(): Example[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const out: Example[] = [];
  for (const block of readme.matchAll(/```bash\n([\s\S]*?)```/g)) {
    const lines = block[1].split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith('curl ')) continue;
      let command = lines[i];
      // A command goes on while a line ends with a backslash or a quoted body is still open.
      while (i + 1 < lines.length && (command.endsWith('\\') || (command.split("'").length - 1) % 2 === 1)) command = `${command}\n${lines[++i]}`;
      let says = '';
      while (i + 1 < lines.length && lines[i + 1].startsWith('#')) says += `${lines[++i]}\n`;
      if (!/authorization/i.test(command)) out.push({ command, says });
    }
  }
  return out;
}

type Answer = Record<string, unknown> & { error?: unknown };

// README_API_BASE=http://127.0.0.1:8080 runs the examples against an API started with `npm start`.
const EXTERNAL = process.env.README_API_BASE;

describe("the README's examples answer as written", () => {
  let api: TestApi | null = null;
  let base: string;
  const examples = readmeCurls();
  const curl = async (command: string): Promise<Answer> => {
    const { stdout } = await run('bash', ['-c', command.replace(/localhost:8080/g, base.replace(/^http:\/\//, ''))]);
    return JSON.parse(stdout) as Answer;
  };

  beforeAll(async () => {
    // The bootstrap's synthetic universe, long enough for every catalog window (MACD's signal needs 34 bars).
    if (EXTERNAL === undefined) api = await startTestApi({ BOOTSTRAP_SYMBOLS: '3', BOOTSTRAP_DAYS: '60' });
    base = EXTERNAL ?? api!.base;
  });
  afterAll(() => api?.stop());

  it('finds the examples', () => {
    expect(examples.map((e) => e.command.match(/localhost:8080(\S*)/)?.[1])).toEqual(
      expect.arrayContaining(['/health', '/v1/datasets', '/v1/feature-views', '/v1/online-features', '/v1/training-sets']),
    );
  });

  it.each(examples.map((e) => [e.command.split('\n')[0], e] as const))('%s', async (_first, example) => {
    const answer = await curl(example.command);
    expect(answer.error).toBeUndefined();
    if (example.command.includes('/v1/online-features')) {
      const body = answer as { featureNames: string[]; versions: Record<string, number>; rows: Array<Record<string, unknown>>; metadata: Array<{ statuses: Record<string, string> }> };
      const symbols = body.rows.map((r) => String(r.symbol));
      expect(symbols.length).toBeGreaterThan(0);
      body.rows.forEach((row, j) => {
        const statuses = Object.values(body.metadata[j].statuses);
        if (symbols[j].startsWith('SYN')) {
          // Values, not nulls: what the quick start promises for the synthetic symbols.
          expect({ symbol: symbols[j], statuses: [...new Set(statuses)] }).toEqual({ symbol: symbols[j], statuses: ['PRESENT'] });
          for (const name of body.featureNames.slice(1)) expect({ name, value: typeof row[name] }).toEqual({ name, value: expect.stringMatching(/number|boolean/) });
        } else {
          expect([...new Set(statuses)]).toEqual(['NOT_FOUND']);
        }
      });
      // The answer's names and versions as the comment below the example writes them.
      const names = example.says.match(/"featureNames": (\[[^\]]*\])/);
      if (names) expect(body.featureNames).toEqual(JSON.parse(names[1]));
      const versions = example.says.match(/"versions": (\{[^}]*\})/);
      if (versions) expect(body.versions).toEqual(JSON.parse(versions[1]));
    }
    if (example.command.includes('/v1/training-sets')) {
      const body = answer as { columns: string[]; rows: Array<Record<string, unknown>> };
      const features = body.columns.filter((c) => c.includes('__'));
      expect(features.length).toBeGreaterThan(0);
      for (const row of body.rows) for (const c of features) expect({ c, value: typeof row[c] }).toEqual({ c, value: 'number' });
    }
  });

  it('BTC-USD online is OUTSIDE_TTL, as the quick start explains', async () => {
    const res = await fetch(`${base}/v1/online-features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ featureService: 'market_signals', entities: { symbol: ['BTC-USD'] } }),
    });
    const body = (await res.json()) as { rows: Array<Record<string, unknown>>; metadata: Array<{ statuses: Record<string, string> }> };
    expect([...new Set(Object.values(body.metadata[0].statuses))]).toEqual(['OUTSIDE_TTL']);
    expect(Object.entries(body.rows[0]).filter(([k, v]) => k !== 'symbol' && v !== null)).toEqual([]);
  });
});
