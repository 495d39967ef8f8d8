import { startPostgres, type TestPostgres } from '../../src/startPostgres';

// The private PostgreSQL cluster the lists fault tests crash and restart. CI once failed when a test asked for a crash
// (stopServer, then startServer) while the restart it had asked for a moment earlier was still running: two pg_ctls on
// one data directory. Operations requested together must run one after another and leave a server that answers.
describe('startPostgres against real PostgreSQL binaries', () => {
  let pg: TestPostgres | undefined;

  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  const query = async (sql: string): Promise<unknown[]> => {
    const { Client } = await import('pg');
    const client = new Client({ connectionString: pg!.url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('runs a restart and a crash requested at the same moment one after the other; committed rows survive both', async () => {
    if (!pg) {
      console.warn('No PostgreSQL binaries under /usr/lib/postgresql/*/bin: skipped');
      return;
    }
    await query('CREATE TABLE kept (n int)');
    await query('INSERT INTO kept VALUES (1), (2), (3)');
    const order: string[] = [];
    const restart = pg.restart().then(() => order.push('restart'));
    const crash = pg
      .stopServer()
      .then(() => order.push('stop'))
      .then(() => pg!.startServer())
      .then(() => order.push('start'));
    const stopAgain = pg.stopServer().then(() => order.push('stop again'));
    await Promise.all([restart, crash, stopAgain]);
    // restart, then the crash's stop, then the second stop (queued before the crash's start was asked for), then start
    expect(order).toEqual(['restart', 'stop', 'stop again', 'start']);
    expect(await query('SELECT n FROM kept ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  }, 120_000);

  it('starts again after its postmaster was killed with SIGKILL, leaving a postmaster.pid behind', async () => {
    if (!pg) return;
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const pid = Number(readFileSync(join(pg.dataDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    await pg.stopServer(); // pg_ctl finds no server to stop or stops what is left; resolves once the port refuses
    await pg.startServer();
    expect(await query('SELECT count(*)::int AS c FROM kept')).toEqual([{ c: 3 }]);
  }, 120_000);
});
