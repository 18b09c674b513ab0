/**
 * A peer's worker process: `node --import tsx bench/compare/child.ts <pgboss|graphile|dbos> '<json>'`
 * with BENCH_URL set. Prints `ready` once its workers run; stops cleanly on SIGTERM. The options
 * are the peer's own, passed through as given by bench/compare/<peer>.ts.
 */
const [system, raw = '{}'] = process.argv.slice(2);
const url = process.env.BENCH_URL;
if (!url || !system) {
  console.error('usage: BENCH_URL=… child.ts <pgboss|graphile|dbos> <json>');
  process.exit(2);
}
const options = JSON.parse(raw) as Record<string, unknown>;
let stop: () => Promise<void> = async () => {};

if (system === 'pgboss') {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: url, ...(options.constructor as object) });
  boss.on('error', (e: Error) => console.error(`pg-boss: ${e.message}`));
  await boss.start();
  const work = options.work as Record<string, unknown> | undefined;
  // A no-op handler: the job's cost is pg-boss's own (fetch, complete).
  if (work) await boss.work('bench', work, async () => {});
  else await boss.work('bench', async () => {});
  stop = () => boss.stop({ graceful: true, timeout: 10_000 });
} else if (system === 'graphile') {
  const { run, Logger } = await import('graphile-worker');
  const quiet = new Logger(() => (level, message) => {
    if (level === 'error') console.error(`graphile-worker: ${message}`);
  });
  const runner = await run({
    connectionString: url,
    noHandleSignals: true,
    logger: quiet,
    taskList: { bench: async () => {} },
    ...(options as object),
  });
  stop = () => runner.stop();
} else if (system === 'dbos') {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const stub = options.stub as string;
  DBOS.setConfig({ name: 'bench', systemDatabaseUrl: url, logLevel: 'error', ...(options.config as object) });
  const call = async (i: number) => (await fetch(`${stub}/${i}`)).json();
  // The DBOS equivalent of Weir's http3 workflow: three durable steps, each one HTTP call.
  DBOS.registerWorkflow(async (n: number) => {
    await DBOS.runStep(() => call(1), { name: 'one' });
    await DBOS.runStep(() => call(2), { name: 'two' });
    await DBOS.runStep(() => call(3), { name: 'three' });
    return n;
  }, { name: 'http3' });
  await DBOS.launch();
  // The queue is registered (and so dispatched) only on `go`: the harness enqueues first.
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (line: string) => {
    if (line.includes('go')) void DBOS.registerQueue('bench', options.queue as object);
  });
  stop = () => DBOS.shutdown();
} else {
  console.error(`unknown system ${system}`);
  process.exit(2);
}

process.stdout.write('ready\n');
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  stop().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
});
