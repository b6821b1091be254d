import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { aggregateOfKey, isAggregate, loadConfig, openRegistry, registryLocation, type RegistryRecord } from '@app/features';

const USAGE = `usage: npm run registry -- export <file> | import <file>

  export <file>   writes every record of the configured registry to <file> (NDJSON)
  import <file>   loads <file> into the configured registry, which must be empty

The registry is PostgreSQL at REGISTRY_URL when it is set, else DATA_DIR's embedded one: to move
an embedded registry to PostgreSQL, export without REGISTRY_URL and import with it.`;

/** The records of an export file, each checked (a line that names no known aggregate stops the import). */
async function* readRecords(file: string): AsyncIterable<RegistryRecord> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let parsed: { aggregate?: unknown; key?: unknown; value?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (error) {
      throw new Error(`${file}:${line}: not JSON (${(error as Error).message})`);
    }
    const { aggregate, key, value } = parsed;
    if (typeof key !== 'string' || !isAggregate(aggregate) || aggregateOfKey(key) !== aggregate || value === undefined) {
      throw new Error(`${file}:${line}: not a registry record (aggregate, key of that aggregate, value)`);
    }
    yield { aggregate, key, value };
  }
}

/** `npm run registry -- export|import <file>`: moves a registry between LMDB and PostgreSQL. Exit 2 on bad arguments. */
async function main(argv: string[]): Promise<number> {
  const [command, file, ...rest] = argv;
  if ((command !== 'export' && command !== 'import') || !file || rest.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig(process.env);
  const where = registryLocation(config);
  const registry = await openRegistry(config);
  try {
    if (command === 'export') {
      const out = createWriteStream(file);
      let n = 0;
      for await (const record of registry.dump()) {
        if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
        n++;
      }
      out.end();
      await once(out, 'finish');
      console.error(`exported ${n} records of ${where} to ${file}`);
      return 0;
    }
    if (!(await registry.isEmpty())) {
      console.error(`${where} already holds records: import into an empty registry only`);
      return 1;
    }
    const n = await registry.load(readRecords(file));
    console.error(`imported ${n} records from ${file} into ${where}`);
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  } finally {
    await registry.close();
  }
}

void main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  },
);
