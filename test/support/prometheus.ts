/** One sample of a Prometheus text exposition: `name{labels} value`. */
export interface MetricSample {
  readonly name: string;
  /** The series as written (`name{a="b"}`), or the bare name when it has no labels. */
  readonly series: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a Prometheus text page (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = line.slice(0, line.search(/[ {]/));
    const series = line.slice(0, line.lastIndexOf(' '));
    const labels = Object.fromEntries([...series.slice(name.length).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    samples.push({ name, series, labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return samples;
}

/** GET http://127.0.0.1:{port}/metrics, parsed. */
export async function scrapeMetrics(port: number): Promise<MetricSample[]> {
  return parseMetrics(await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()));
}

/**
 * Each metric by name (summed over its labels), and each labelled series by itself
 * (`name{a="b"}`): one lookup table for a bench that reads many of them at once.
 */
export function metricTable(samples: readonly MetricSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    out[s.name] = (out[s.name] ?? 0) + s.value;
    if (s.series !== s.name) out[s.series] = s.value;
  }
  return out;
}

/** One counter or gauge, summed over the series whose labels include `labels`. */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await scrapeMetrics(port))
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}
