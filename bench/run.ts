import { runClusterBench } from './cluster/cluster.bench';
import { runIngestBench } from './ingest.bench';
import { runLakeBench } from './lake/lake.bench';
import { runMaterializeBench } from './materialize.bench';
import { runOnlineBench } from './online/online.bench';
import { runPythonClientBench } from './python-client/python-client.bench';
import { runStreamBench } from './stream/stream.bench';
import { runTrainingSetBench } from './training-set/training-set.bench';
import { runUiBench } from './ui/ui.bench';

/** `npm run bench -- <name> [options]`: runs one benchmark and writes its results to bench/results/. */
const benches: Record<string, (args: string[]) => Promise<void>> = {
  ingest: runIngestBench,
  materialize: runMaterializeBench,
  'training-set': runTrainingSetBench,
  online: runOnlineBench,
  stream: runStreamBench,
  'python-client': runPythonClientBench,
  ui: runUiBench,
  cluster: runClusterBench,
  lake: runLakeBench,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = name && name !== 'all' ? [name] : Object.keys(benches);
  for (const n of names) {
    const bench = benches[n];
    if (!bench) {
      console.error(`unknown benchmark ${n}; available: ${Object.keys(benches).join(', ')}`);
      process.exit(2);
    }
    await bench(args);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
