// A process of its own on a PostgreSQL registry (run with node -r @swc-node/register):
//   open           opens (migrating if needed), prints "opened", closes
//   lease <name>   takes the lease, prints "held <pid>", then waits to be killed
import { PgRegistry } from '../../libs/features/src/registry/drivers/postgres/pg.registry';

async function main(): Promise<void> {
  const [mode, name] = process.argv.slice(2);
  const registry = await PgRegistry.open({ url: process.env.REGISTRY_URL!, poolSize: 2, timeoutMs: 5000 });
  if (mode === 'open') {
    console.log('opened');
    await registry.close();
    return;
  }
  const holder = await registry.materializations.acquireLease(name, { pid: process.pid, instance: `child-${process.pid}`, since: new Date().toISOString() }, () => true);
  console.log(holder ? `refused ${holder.pid}` : `held ${process.pid}`);
  setInterval(() => undefined, 60_000);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
