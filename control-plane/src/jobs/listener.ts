import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../db/connection.js';

/** The channel an enqueue notifies when its transaction commits (queue.ts). */
export const JOBS_CHANNEL = 'claresia_jobs';

export interface JobListener {
  /** True while LISTEN holds: a job enqueued by any replica wakes this one within milliseconds. */
  listening(): boolean;
  stop(): Promise<void>;
}

const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * Wakes this replica's runner when any replica enqueues, through PostgreSQL's LISTEN on a
 * connection of its own (outside the pool: a listening connection must stay open and idle).
 * Without it each replica would have to poll every 100 ms to start other replicas' jobs
 * promptly: ~40 round trips a second per replica, idle or not. While the connection is down the
 * runner polls at its short interval again; after a reconnect it is woken once, for anything
 * enqueued meanwhile. Returns undefined on PGlite, whose single connection is this process's own
 * (enqueues there wake the runner in process).
 */
export function listenForJobs(db: Db, wake: () => void, logger: Logger): JobListener | undefined {
  const config = (db as unknown as { client: { config: { client: string; connection: unknown } } }).client.config;
  if (config.client !== 'pg') return undefined;
  let client: pg.Client | undefined;
  let up = false;
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = undefined;
    up = false;
    c.removeAllListeners();
    c.on('error', () => {}); // a late socket error on a connection already given up
    void c.end().catch(() => {});
    if (stopped) return;
    const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
    logger.warn({ err: err && { message: err.message }, retryInMs: delay }, 'jobs: LISTEN connection lost; polling until it is back');
    retry = setTimeout(connect, delay);
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    const c = new pg.Client(typeof config.connection === 'string' ? { connectionString: config.connection } : (config.connection as pg.ClientConfig));
    client = c;
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', () => wake());
    try {
      await c.connect();
      await c.query(`LISTEN ${JOBS_CHANNEL}`);
    } catch (err) {
      lost(c, err as Error);
      return;
    }
    if (client !== c || stopped) return;
    up = true;
    failures = 0;
    // Jobs enqueued while nobody listened (at start, or during an outage) are not notified again.
    wake();
  }

  void connect();
  return {
    listening: () => up,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      up = false;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
