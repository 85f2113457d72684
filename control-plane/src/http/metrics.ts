import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { Db } from '../db/connection.js';
import { queueNames } from '../jobs/registry.js';
import { PLATFORMS } from '../llm/adapter.js';
import { readFigures, type Figures } from './metrics-figures.js';
import { onRateLimited, RATE_BUDGETS } from './rate-limit.js';

/**
 * How long a scrape waits for the database: a scrape during an outage should still answer
 * (with claresia_database_up 0 and the pool's figures) before Prometheus gives up on it (10 s).
 * Waiting less does not stop the query: see FIGURES_STATEMENT_TIMEOUT_MS.
 */
const SCRAPE_DB_TIMEOUT_MS = 2000;
/**
 * The server cancels the figures query after this long, a little before the scrape stops
 * waiting, so its pool connection is back by then and the log says why rather than "no answer".
 * It bounds the statement only: a database that does not answer at all keeps the connection
 * until TCP gives up, which is why a scrape never starts a read beside one still running.
 */
const FIGURES_STATEMENT_TIMEOUT_MS = 1500;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The pool's counts (tarn, under knex); absent on a client without one. */
function poolOf(db: Db): { numUsed(): number; numFree(): number; numPendingAcquires(): number; numPendingCreates(): number } | undefined {
  return (db.client as { pool?: ReturnType<typeof poolOf> }).pool ?? undefined;
}

/**
 * One registry per app instance, so tests can start several control planes in one process.
 * The queue and pool figures are read when scraped, not kept up to date in between: every
 * replica reports the shared queue as it is, and a stuck queue shows whichever replica is asked.
 */
export function createMetrics(db?: Db, logger?: Logger) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'claresia_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'claresia_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  if (db) {
    registerDatabaseFigures(registry, db, logger);
    const limited = new Counter({
      name: 'claresia_rate_limited_requests_total',
      help: 'Requests this replica refused with 429 because their rate budget was spent, by budget (tenant, operator, anonymous, connector, scim): alert on a sustained rate, a client is looping or a budget is too small',
      labelNames: ['budget'],
      registers: [registry],
    });
    for (const budget of RATE_BUDGETS) limited.inc({ budget }, 0);
    onRateLimited(db, (budget) => limited.inc({ budget }));
  }
  return { registry, requests, duration };
}

const CONNECTOR_STATUSES = ['untested', 'connected', 'failed'];
const HUB_MODES = ['A', 'B', 'C'];
const HUB_STATUSES = ['provisioning', 'ready', 'failed'];

/**
 * Counts under two labels: every pair of the known values at 0 at least (bounded, and an alert
 * has its series before the first occurrence), plus any pair the database holds beyond them.
 */
function byTwo<A extends string, B extends string>(a: A, as: readonly string[], b: B, bs: readonly string[], rows: Array<[string, string, number]>): Array<[Record<A | B, string>, number]> {
  const n = new Map<string, { labels: Record<A | B, string>; value: number }>();
  const at = (x: string, y: string) => {
    const key = JSON.stringify([x, y]);
    let e = n.get(key);
    if (!e) n.set(key, (e = { labels: { [a]: x, [b]: y } as Record<A | B, string>, value: 0 }));
    return e;
  };
  for (const x of as) for (const y of bs) at(x, y);
  for (const [x, y, v] of rows) at(x, y).value += v;
  return [...n.values()].map((e) => [e.labels, e.value]);
}

/** The database's own words: knex puts the failed statement and " - " in front of them. */
function causeOf(err: unknown): { message: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message.split(' - ').pop()! : String(err);
  return { message: message.slice(0, 300), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

function registerDatabaseFigures(registry: Registry, db: Db, logger: Logger | undefined): void {
  // The figures query until it settles, however long the scrapes wait for it: a scrape while it
  // runs goes without figures instead of starting another, so scrapes one after another (as
  // Prometheus sends them) hold at most one of the replica's pool connections while the database
  // is slow, and the API keeps the rest.
  let query: Promise<Figures> | undefined;
  // Since when the figures could not be read: the cause is logged when an outage begins and the
  // end when it ends, not at every scrape in between.
  let downSince: number | undefined;
  const failed = (err: unknown) => {
    if (downSince !== undefined) return;
    downSince = Date.now();
    logger?.warn({ err: causeOf(err) }, 'metrics: cannot read the database figures; claresia_database_up is 0 and they are left out until they can be read');
  };
  const succeeded = () => {
    if (downSince === undefined) return;
    logger?.info({ down_ms: Date.now() - downSince }, 'metrics: the database figures can be read again');
    downSince = undefined;
  };
  const start = () => {
    const q = readFigures(db, FIGURES_STATEMENT_TIMEOUT_MS);
    query = q;
    void q.then(succeeded, failed).finally(() => {
      if (query === q) query = undefined;
    });
    return q;
  };
  // One read per scrape: the registry collects every metric at once, so the first collector
  // starts it and the others share it.
  let reading: Promise<Figures | undefined> | undefined;
  const read = () =>
    (reading ??= (query ? Promise.reject(new Error('the previous read of the figures is still running')) : withTimeout(start(), SCRAPE_DB_TIMEOUT_MS))
      .catch((err) => {
        failed(err);
        return undefined;
      })
      .finally(() => setImmediate(() => (reading = undefined))));

  new Gauge({
    name: 'claresia_database_up',
    help: '1 when this scrape could read its figures from the database, 0 when it could not (the database figures are then left out): alert when 0',
    registers: [registry],
    async collect() {
      this.set((await read()) ? 1 : 0);
    },
  });
  /**
   * A gauge read from the figures. Without an answer its series are left out rather than
   * reported as zero; with one, every series `values` names is there, zeros included, so an
   * alert has a series before the first occurrence.
   */
  const figure = <L extends string>(name: string, help: string, labelNames: readonly L[], values: (f: Figures) => Array<[Partial<Record<L, string>>, number]>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const f = await read();
        this.reset();
        if (!f) {
          // reset() leaves a gauge without labels at 0, which would read as "none failing".
          if (labelNames.length === 0) this.remove({});
          return;
        }
        for (const [labels, value] of values(f)) this.set(labels, value);
      },
    });
  const perQueue = (name: string, help: string, value: (r: Figures['queues'][number] | undefined) => number) =>
    figure(name, help, ['queue'], (f) => {
      const byQueue = new Map(f.queues.map((r) => [r.queue, r]));
      return [...new Set([...queueNames(), ...byQueue.keys()])].map((q) => [{ queue: q }, value(byQueue.get(q))]);
    });
  perQueue('claresia_jobs_ready', 'Jobs due to run that no worker holds, by queue (a lapsed lease counts)', (r) => r?.ready ?? 0);
  perQueue('claresia_jobs_oldest_ready_age_seconds', 'How long the longest-waiting due job has been due, by queue (0 when none is): alert when it keeps growing, a stuck queue', (r) => Math.max(0, r?.oldest_ready_seconds ?? 0));
  perQueue('claresia_jobs_running', 'Jobs a worker holds under a live lease, by queue', (r) => r?.running ?? 0);
  perQueue('claresia_jobs_retrying', 'Jobs that failed at least once and wait to be tried again, by queue', (r) => r?.retrying ?? 0);
  perQueue('claresia_jobs_dead', 'Jobs out of attempts (failed for good), by queue; kept until CLARESIA_RETENTION_DAYS: alert when it rises', (r) => r?.dead ?? 0);

  const one = (value: (f: Figures) => number) => (f: Figures): Array<[Record<string, never>, number]> => [[{}, value(f)]];
  figure('claresia_webhook_deliveries_pending', 'Webhook deliveries not made yet (first attempt due, or retrying)', [], one((f) => f.webhooks.pending));
  figure('claresia_webhook_deliveries_retrying', 'Webhook deliveries whose last attempt failed and that will be tried again: alert when above 0 for long, a receiver is down or refusing', [], one((f) => f.webhooks.retrying));
  figure('claresia_webhook_deliveries_failed', 'Webhook deliveries failed for good (410 Gone, a refused URL, or retried to the horizon), kept until CLARESIA_RETENTION_DAYS: alert when it rises, events were lost for a receiver', [], one((f) => f.webhooks.failed));
  figure('claresia_webhook_oldest_retrying_age_seconds', 'How long the longest-failing webhook delivery has been retried, from its event or redelivery (0 when none): alert well before CLARESIA_WEBHOOK_RETRY_HORIZON_SECONDS, when it fails for good', [], one((f) => Math.max(0, f.webhooks.oldest_retrying_seconds ?? 0)));

  figure('claresia_distribution_requests_pending', 'Skill publish requests waiting to be published to the LLM platforms', [], one((f) => f.distribution.pending));
  figure('claresia_distribution_requests_failed', 'Skill publish requests that failed (a platform refused or kept failing, or no connector was connected); kept, so it only grows: alert when it rises', [], one((f) => f.distribution.failed));
  figure('claresia_distribution_oldest_pending_age_seconds', 'How long the oldest waiting publish request has waited (0 when none): alert when it keeps growing, publishes are stuck', [], one((f) => Math.max(0, f.distribution.oldest_pending_seconds ?? 0)));

  figure('claresia_llm_connectors', 'LLM connectors by platform and status (untested, connected, failed): alert when status="failed" rises', ['platform', 'status'], (f) =>
    byTwo('platform', PLATFORMS, 'status', CONNECTOR_STATUSES, f.connectors.map((r) => [r.platform, r.status, r.n])),
  );
  figure('claresia_llm_connectors_publish_failing', 'LLM connectors whose last publish failed (cleared by the next success), by platform: alert when above 0 for long', ['platform'], (f) => {
    const n = new Map<string, number>(PLATFORMS.map((p) => [p, 0]));
    for (const r of f.connectors) n.set(r.platform, (n.get(r.platform) ?? 0) + r.publish_failing);
    return [...n].map(([platform, v]) => [{ platform }, v]);
  });
  figure('claresia_hubs', 'Hubs by deployment mode and status (provisioning, ready, failed): alert when status="failed" is above 0, or status="provisioning" stays above 0 for long', ['mode', 'status'], (f) =>
    byTwo('mode', HUB_MODES, 'status', HUB_STATUSES, f.hubs.map((r) => [r.mode, r.status, r.n])),
  );
  figure('claresia_hub_links_failing', "Ready Mode C Hubs whose last re-check of the mTLS link to the customer's endpoint failed (they stay status=\"ready\"; the next passing check clears it): alert when above 0 for long, the Hub cannot co-sign that tenant's governance events", [], one((f) => f.hub_links.failing));
  figure('claresia_hub_link_oldest_check_age_seconds', 'How long ago the least recently checked ready Mode C Hub had its link checked (0 when there is none): alert above a few times CLARESIA_HUB_LINK_CHECK_SECONDS, no link monitor gets its checks through', [], one((f) => Math.max(0, f.hub_links.oldest_check_seconds ?? 0)));

  figure('claresia_audit_chains', "Tenants whose last recorded governance-chain verification checked out (outcome=\"verified\") or found a break (outcome=\"broken\"): alert when outcome=\"broken\" is above 0, someone altered the audit trail", ['outcome'], (f) => [
    [{ outcome: 'verified' }, f.audit.verified],
    [{ outcome: 'broken' }, f.audit.broken],
  ]);
  figure('claresia_audit_last_verification_timestamp_seconds', 'When the latest chain verification that checked out (outcome="verified") or found a break (outcome="broken") was recorded, any tenant; absent when none was', ['outcome'], (f) => [
    ...(f.audit.last_verified === null ? [] : [[{ outcome: 'verified' }, f.audit.last_verified] as [{ outcome: string }, number]]),
    ...(f.audit.last_broken === null ? [] : [[{ outcome: 'broken' }, f.audit.last_broken] as [{ outcome: string }, number]]),
  ]);

  const pool = (name: string, help: string, value: (p: NonNullable<ReturnType<typeof poolOf>>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const p = poolOf(db);
        this.set(p ? value(p) : 0);
      },
    });
  pool('claresia_db_pool_used', "Connections of this replica's database pool in use", (p) => p.numUsed());
  pool('claresia_db_pool_free', "Open connections of this replica's database pool not in use", (p) => p.numFree());
  pool('claresia_db_pool_waiting', 'Queries of this replica waiting for a pool connection (above 0 for long: the pool is too small or the database slow)', (p) => p.numPendingAcquires());
  pool('claresia_db_pool_opening', "Connections this replica's pool is opening now", (p) => p.numPendingCreates());
}

export type Metrics = ReturnType<typeof createMetrics>;
