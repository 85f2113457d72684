import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/connection.js';

/** The channel a replica notifies after it commits an enqueue (runner.ts). */
export const JOBS_CHANNEL = 'claresia_jobs';

export interface JobListener {
  /** True while LISTEN holds: a job enqueued by any replica wakes this one within milliseconds. */
  listening(): boolean;
  /** Tells every replica that a job was enqueued here (after its transaction committed). */
  announce(): void;
  stop(): Promise<void>;
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** A connect, a health check or a goodbye that takes longer than this is a dead connection. */
const DEADLINE_MS = 5000;

/**
 * Wakes this replica's runner when any replica enqueues, through PostgreSQL's LISTEN on a
 * connection of its own (outside the pool: a listening connection must stay open and idle).
 * Without it each replica would have to poll every 100 ms to start other replicas' jobs
 * promptly: ~40 round trips a second per replica, idle or not.
 *
 * The notification is sent after the enqueuing transaction commits, from the pool, not inside
 * that transaction: a NOTIFY makes its transaction take a cluster-wide lock at commit, so every
 * transaction that enqueues would commit one at a time. A replica that dies between its commit
 * and its notification leaves the job to the others' next look (at most the idle poll).
 *
 * The connection is checked every `checkMs` (a connection dropped without a word, by a
 * firewall say, otherwise looks alive forever). While it is down `down` is called, so the
 * runner polls at its short interval again; after a reconnect `wake` is called once, for
 * anything enqueued meanwhile. Returns undefined on PGlite, whose single connection is this
 * process's own (enqueues there wake the runner in process).
 *
 * A connection counts as listening only once a notification sent through the pool, as other
 * replicas send theirs, has come back on it: behind a pooler in transaction mode (PgBouncer)
 * LISTEN succeeds on whichever server connection the pooler lends, and nothing is heard after
 * that, so every other replica's job would wait for the idle poll. The probe goes to a channel
 * of this listener's own, so it wakes no other replica.
 */
export function listenForJobs(db: Db, on: { wake: () => void; down: () => void }, logger: Logger, checkMs: number): JobListener | undefined {
  const config = (db as unknown as { client: { config: { client: string; connection: unknown } } }).client.config;
  if (config.client !== 'pg') return undefined;
  const base: pg.ClientConfig = typeof config.connection === 'string' ? { connectionString: config.connection } : (config.connection as pg.ClientConfig);
  let client: pg.Client | undefined;
  let up = false;
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let check: NodeJS.Timeout | undefined;
  let announcing: Promise<void> | undefined;
  let announceAgain = false;
  const probeChannel = `${JOBS_CHANNEL}_probe_${randomBytes(6).toString('hex')}`;
  let probeHeard: (() => void) | undefined;
  let probesFailed = 0;

  /**
   * Sends a notification to `probeChannel` from the pool, then waits for it on the connection.
   * The deadline starts once the pool has sent it: a busy pool is not a pooler.
   */
  const probe = async (sent: () => void) => {
    let heardIt!: () => void;
    const heard = new Promise<void>((resolve) => (heardIt = resolve));
    probeHeard = heardIt;
    let timer: NodeJS.Timeout | undefined;
    try {
      await db.raw('SELECT pg_notify(?, ?)', [probeChannel, '']);
      sent();
      await Promise.race([
        heard,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`a notification sent through the pool did not come back on the LISTEN connection in ${DEADLINE_MS} ms; behind a pooler in transaction mode (PgBouncer), which gives LISTEN no session of its own, set CLARESIA_JOBS_LISTEN=0`)),
            DEADLINE_MS,
          );
          // A probe cut short by stop() must not hold the process open until its deadline.
          timer.unref();
        }),
      ]);
    } finally {
      clearTimeout(timer);
      // Only this probe's own: a probe of an earlier connection ending late must not disarm a newer one.
      if (probeHeard === heardIt) probeHeard = undefined;
    }
  };

  /** Ends a connection, and cuts it if the server does not see it off in time. */
  const close = async (c: pg.Client) => {
    c.removeAllListeners();
    c.on('error', () => {}); // a late socket error on a connection already given up
    const cut = setTimeout(() => (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(), DEADLINE_MS);
    await c.end().catch(() => {});
    clearTimeout(cut);
  };

  const lost = (c: pg.Client, err?: Error, what = 'jobs: LISTEN connection lost; polling until it is back', level: 'warn' | 'debug' = 'warn') => {
    if (client !== c) return;
    client = undefined;
    up = false;
    clearInterval(check);
    void close(c);
    if (stopped) return;
    // Said when the connection goes; its failed reconnects (an outage) are told at debug, and
    // the connection coming back once at info, as the claim loop does.
    const quiet = failures > 0;
    const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
    logger[quiet ? 'debug' : level]({ err: err && { message: err.message }, retryInMs: delay, failures }, what);
    on.down();
    retry = setTimeout(connect, delay);
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    let c: pg.Client | undefined;
    let probing = false;
    try {
      // knex keeps the parsed password non-enumerable (out of logs), so a spread would drop it.
      c = new pg.Client({ ...base, password: base.password, keepAlive: true, connectionTimeoutMillis: DEADLINE_MS });
      const mine = c;
      client = c;
      c.on('error', (err) => lost(mine, err));
      c.on('end', () => lost(mine));
      c.on('notification', (n) => (n.channel === probeChannel ? probeHeard?.() : on.wake()));
      await c.connect();
      await c.query(`LISTEN ${probeChannel}`);
      await c.query(`LISTEN ${JOBS_CHANNEL}`);
      await probe(() => (probing = true));
    } catch (err) {
      // Behind a pooler every probe fails the same way: said once at warn, then at debug until one passes.
      if (c && probing) lost(c, err as Error, 'jobs: LISTEN hears no notifications; polling, and trying again later', probesFailed++ ? 'debug' : 'warn');
      else if (c) lost(c, err as Error);
      else {
        logger.error({ err: { message: (err as Error).message } }, 'jobs: cannot make a LISTEN connection; polling');
        on.down();
      }
      return;
    }
    if (client !== c || stopped) return;
    up = true;
    if (failures) logger.info({ failures }, 'jobs: LISTEN connection back');
    failures = 0;
    probesFailed = 0;
    const live = c;
    let checking = false;
    check = setInterval(() => {
      // One check at a time: with checks closer together than the deadline, a silent connection
      // would otherwise pile queries up on it.
      if (checking) return;
      checking = true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to a health check in ${DEADLINE_MS} ms`)), DEADLINE_MS)));
      Promise.race([live.query('SELECT 1'), timeout])
        .catch((err: Error) => lost(live, err))
        .finally(() => {
          clearTimeout(timer);
          checking = false;
        });
    }, checkMs);
    // Jobs enqueued while nobody listened (at start, or during an outage) are not notified again.
    on.wake();
  }

  void connect();
  return {
    listening: () => up,
    announce() {
      // Coalesced: enqueues committed while a notification is on its way are covered by one more.
      if (announcing) {
        announceAgain = true;
        return;
      }
      announcing = (async () => {
        do {
          announceAgain = false;
          await db.raw(`SELECT pg_notify('${JOBS_CHANNEL}', '')`).catch((err: Error) => logger.warn({ err: { message: err.message } }, 'jobs: could not notify other replicas'));
        } while (announceAgain && !stopped);
        announcing = undefined;
      })();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      clearInterval(check);
      const c = client;
      client = undefined;
      up = false;
      if (c) await close(c);
      await announcing;
    },
  };
}
