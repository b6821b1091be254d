import { parseArgs } from 'node:util';
import {
  InvalidArgumentError,
  parseBarTiming,
  parseDuration,
  parseGranularity,
  parseMappingOption,
  parseUtc,
  startOfUtcDay,
  type BarTiming,
  type PartitionGranularity,
} from '@app/features';

export const USAGE = `Usage: npm run ingest -- <command> [options]

Commands:
  file <path>            Ingest a CSV (vendor layout Date,High,Low,Open,Close,Volume,Adj Close, or any
                         columns with --map), NDJSON, JSON or Parquet file.
  http <url-template>    Pull bars from an HTTP provider; the template takes {symbol}, {start}, {end}.
  synth                  Generate synthetic bars (geometric Brownian motion) straight into the lake.
  apply                  Register the built-in market catalog and any --file <defs.json> ({entities, views,
                         services}); prints a plan (new view, new version with the changed parts,
                         unchanged). Idempotent. --dry-run only plans. Also: npm run apply.
  stream                 Consume bar messages from Kafka into the lake (a consumer-group worker; runs until
                         SIGTERM/SIGINT, which writes and commits what is buffered). Messages that fail
                         validation go to <topic>.dlq. Online values of views marked stream are refreshed.
  materialize <view>|all Compute a view version into the offline store and the online store; only the
                         part of [--start, --end] (default: all the data) not done before.
                         --version N (default latest). Also: npm run materialize -- <view>.

Common options:
  --dataset <name>       Target dataset (default bars_<interval>, e.g. bars_1d).
  --interval <n><unit>   Bar length: 1m, 1h, 1d... Required: timestamps are bar starts, and a bar is
                         only known at its close (ts = start + interval). Using the start leaks the future.
  --time-is <kind>       start (default), close (timestamps already are close times), or session.
  --close-time HH:MM     With session: the exchange's close (default 16:00).
  --timezone <IANA>      With session: the exchange's zone (default America/New_York).
  --calendar <name>      XNYS, XNAS or 24/7: daily bars dated D take D's session close from the
                         calendar (13:00 New York on early-close days); a bar dated on a day
                         without a session is quarantined. Implies --time-is session; a new
                         dataset is created with that calendar.
  --symbol <symbol>      Symbol for files that have no symbol column.
  --map a=B,c=D          Column mapping, dataset column = source column.
  --format <fmt>         csv, json, ndjson or parquet (default: from the file extension).
  --force                Ingest again even if the same content was ingested before.
  --partition <p>        day, month or year: the lake partition of a dataset this ingest creates
                         (default: month for bars of a day or more, else day; an existing
                         dataset keeps its own: npm run compact -- <dataset> --partition rewrites it).
  --json                 Print the summary as JSON.

http options:  --symbols A,B  --since YYYY-MM-DD  --timeout 10s  --retries 4  --backoff-ms 500  --full
stream options: --topic market.<dataset> --group ingest --brokers 127.0.0.1:9092 (or KAFKA_BROKERS)
               --batch-size 5000 --batch-ms 1000 --max-message-bytes 65536 --metrics-port 9464 (0: none)
               --pending-scan-ms 60000 (adopt online refreshes left pending by a worker that is gone)
synth options: --symbols <count> --days <count> --seed <int> --end YYYY-MM-DD --gap-rate 0.002
`;

interface Common {
  readonly dataset: string;
  readonly json: boolean;
  readonly force: boolean;
  /** The partition granularity of a dataset the ingest creates. */
  readonly partition?: PartitionGranularity;
}

export type CliCommand =
  | (Common & { kind: 'file'; path: string; format?: string; timing: BarTiming; symbol?: string; mapping: Record<string, string> })
  | (Common & {
      kind: 'http';
      urlTemplate: string;
      symbols: string[];
      since: Date;
      timing: BarTiming;
      mapping: Record<string, string>;
      timeoutMs: number;
      retries: number;
      backoffMs: number;
      full: boolean;
    })
  | (Common & { kind: 'synth'; symbols: number; days: number; seed: number; end: Date; gapRate?: number })
  | { kind: 'apply'; dryRun: boolean; files: string[]; json: boolean }
  | { kind: 'materialize'; views: string[]; version?: number; start?: Date; end?: Date; json: boolean }
  | {
      kind: 'stream';
      dataset: string;
      topic: string;
      group: string;
      brokers?: string[];
      batchSize: number;
      batchMs: number;
      maxMessageBytes: number;
      pendingScanMs: number;
      metricsPort: number;
    }
  | { kind: 'help' };

/** Parses the ingest CLI's arguments into a typed command; throws InvalidArgumentError naming the option. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      dataset: { type: 'string' },
      interval: { type: 'string' },
      'time-is': { type: 'string' },
      'close-time': { type: 'string' },
      timezone: { type: 'string' },
      calendar: { type: 'string' },
      partition: { type: 'string' },
      symbol: { type: 'string' },
      symbols: { type: 'string' },
      map: { type: 'string' },
      format: { type: 'string' },
      since: { type: 'string' },
      timeout: { type: 'string' },
      retries: { type: 'string' },
      'backoff-ms': { type: 'string' },
      full: { type: 'boolean', default: false },
      days: { type: 'string' },
      seed: { type: 'string' },
      end: { type: 'string' },
      'gap-rate': { type: 'string' },
      force: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      'dry-run': { type: 'boolean', default: false },
      version: { type: 'string' },
      start: { type: 'string' },
      file: { type: 'string', multiple: true },
      topic: { type: 'string' },
      group: { type: 'string' },
      brokers: { type: 'string' },
      'batch-size': { type: 'string' },
      'batch-ms': { type: 'string' },
      'max-message-bytes': { type: 'string' },
      'pending-scan-ms': { type: 'string' },
      'metrics-port': { type: 'string' },
    },
  });
  const [command, target] = positionals;
  if (values.help || !command || command === 'help') return { kind: 'help' };
  if (command === 'materialize') {
    const views = positionals.slice(1);
    if (views.length === 0) throw new InvalidArgumentError('materialize: name a feature view (or "all")', { field: 'view' });
    if (values.version !== undefined && views.length > 1) throw new InvalidArgumentError('--version needs exactly one view', { field: 'version' });
    return {
      kind: 'materialize',
      views,
      version: values.version === undefined ? undefined : integer(values.version, 'version', 1, 1e9),
      start: values.start === undefined ? undefined : parseUtc(values.start, 'start'),
      end: values.end === undefined ? undefined : parseUtc(values.end, 'end'),
      json: values.json ?? false,
    };
  }
  if (command === 'stream') {
    const dataset = values.dataset ?? 'bars_1d';
    return {
      kind: 'stream',
      dataset,
      topic: values.topic ?? `market.${dataset}`,
      group: values.group ?? 'ingest',
      brokers: values.brokers === undefined ? undefined : list(values.brokers, 'brokers'),
      batchSize: integer(values['batch-size'] ?? '5000', 'batch-size', 1, 1_000_000),
      batchMs: integer(values['batch-ms'] ?? '1000', 'batch-ms', 1, 600_000),
      maxMessageBytes: integer(values['max-message-bytes'] ?? '65536', 'max-message-bytes', 64, 16 * 1024 * 1024),
      pendingScanMs: integer(values['pending-scan-ms'] ?? '60000', 'pending-scan-ms', 100, 86_400_000),
      metricsPort: integer(values['metrics-port'] ?? '9464', 'metrics-port', 0, 65535),
    };
  }
  if (command === 'apply') return { kind: 'apply', dryRun: values['dry-run'] ?? false, files: values.file ?? [], json: values.json ?? false };
  const timingOptions = { interval: values.interval, timeIs: values['time-is'], closeTime: values['close-time'], timeZone: values.timezone, calendar: values.calendar };
  const defaultDataset = values.interval ? `bars_${values.interval}` : undefined;
  const dataset = values.dataset ?? (command === 'synth' ? 'bars_1d' : defaultDataset);
  if (!dataset) throw new InvalidArgumentError('--dataset is required (or --interval, for bars_<interval>)', { field: 'dataset' });
  const common = { dataset, json: values.json ?? false, force: values.force ?? false, ...(values.partition === undefined ? {} : { partition: parseGranularity(values.partition, 'partition') }) };
  switch (command) {
    case 'file':
      if (!target) throw new InvalidArgumentError('file: the path is required', { field: 'path' });
      return {
        ...common,
        kind: 'file',
        path: target,
        format: values.format,
        timing: parseBarTiming(timingOptions),
        symbol: values.symbol,
        mapping: parseMappingOption(values.map),
      };
    case 'http':
      if (!target) throw new InvalidArgumentError('http: the URL template is required', { field: 'url' });
      return {
        ...common,
        kind: 'http',
        urlTemplate: target,
        symbols: list(values.symbols, 'symbols'),
        since: parseUtc(values.since ?? '', 'since'),
        timing: parseBarTiming(timingOptions),
        mapping: parseMappingOption(values.map),
        timeoutMs: parseDuration(values.timeout ?? '10s', 'timeout').seconds * 1000,
        retries: integer(values.retries ?? '4', 'retries', 0, 20),
        backoffMs: integer(values['backoff-ms'] ?? '500', 'backoff-ms', 0, 600_000),
        full: values.full ?? false,
      };
    case 'synth':
      return {
        ...common,
        kind: 'synth',
        symbols: integer(values.symbols ?? '20', 'symbols', 1, 100_000),
        days: integer(values.days ?? '730', 'days', 1, 100_000),
        seed: integer(values.seed ?? '7', 'seed', -(2 ** 31), 2 ** 31),
        end: values.end ? parseUtc(values.end, 'end') : startOfUtcDay(new Date()),
        gapRate: values['gap-rate'] === undefined ? undefined : Number(values['gap-rate']),
      };
    default:
      throw new InvalidArgumentError(`unknown command ${JSON.stringify(command)}: use file, http or synth`, { field: 'command' });
  }
}

function list(text: string | undefined, field: string): string[] {
  const items = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`--${field} is required: a comma-separated list`, { field });
  return items;
}

function integer(text: string, field: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`--${field} must be an integer in ${min}..${max}, got ${JSON.stringify(text)}`, { field });
  return n;
}
