// SCIM at scale: 50,000 users created through the HTTP API by parallel clients, the same rows
// inserted straight into the database as the ceiling (ratio measured in the same run), and
// filtered GETs by userName and by `title sw` at that size. SCIM_BENCH_USERS changes the size, SCIM_BENCH_AT_RATE_SECONDS how long each filter is sent at the rate limit.
import { startControlPlane, startControlPlaneProcess, type ControlPlaneFixture } from '../test/support/control-plane.js';
import { dbKinds } from '../test/support/db.js';
import { Worker } from 'node:worker_threads';
import { makeDirectory, type Directory } from '../test/control-plane/scim/helpers.js';
import { cleanDocument } from '../control-plane/src/scim/document.js';
import { USER_TYPE, ENTERPRISE_USER } from '../control-plane/src/scim/schema.js';
import { userColumns } from '../control-plane/src/scim/users.js';
import { compileFilter } from '../control-plane/src/scim/filter/sql.js';
import { USER_FILTERS } from '../control-plane/src/scim/filter/tables.js';
import { parseFilter } from '../control-plane/src/scim/filter/parse.js';
import { newId } from '../control-plane/src/crypto/secrets.js';
import { openDatabase } from '../control-plane/src/db/connection.js';
import { DEFAULT_RATE_LIMIT } from '../control-plane/src/scim/rate-limit.js';

const USERS = Number(process.env.SCIM_BENCH_USERS ?? 50_000);
const CLIENTS = Number(process.env.SCIM_BENCH_CLIENTS ?? 16);
/** A tenant's sustained SCIM rate limit: the most one IdP may send for longer than a burst. */
const RATE = DEFAULT_RATE_LIMIT.sustainedPerSecond;
/** How long each filter is sent at that rate. */
const AT_RATE_SECONDS = Number(process.env.SCIM_BENCH_AT_RATE_SECONDS ?? 30);
/**
 * Each read phase starts with requests that are sent but not counted (at the rate limit, its
 * first three seconds): every phase runs in a new client thread, whose first requests wait for
 * the thread to compile its HTTP path and open its connections, ~0.1-0.3 s in which requests
 * due every 10 ms pile up, and which makes its first full collection ~2 s in (8-12 ms with the
 * thread stopped). That start is the measuring client's, not the server's. Each phase also
 * reports the client thread's own event-loop delay: a stall there is counted as latency too.
 */
const WARMUP = 50;
const WARMUP_AT_RATE_SECONDS = 3;
const TITLES = ['Vice President', 'Director', 'Engineer', 'Senior Engineer', 'Staff Engineer', 'Product Manager', 'Designer', 'Analyst', 'Account Executive', 'Recruiter', 'Accountant', 'Support Specialist', 'Data Scientist', 'Counsel', 'Chief of Staff'];
const AREAS = ['Engineering', 'Sales', 'Finance', 'Marketing', 'People', 'Legal', 'Support', 'Research', 'Operations', 'Security'];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface ClientJob {
  url: string;
  token: string;
  clients: number;
  /** Open loop: requests due at this rate, latency counted from when each was due. */
  ratePerSecond?: number;
  /** Requests sent first on the same schedule and not counted: the measuring client's own cold start. */
  warmup?: number;
  requests: Array<{ method: string; path: string; body?: unknown; expect: number }>;
}

function summary(n: number, seconds: number, lat: number[]) {
  lat.sort((a, b) => a - b);
  return { count: n, seconds, per_second: n / seconds, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99) };
}

async function timed(n: number, concurrency: number, fn: (i: number) => Promise<void>) {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return summary(n, (performance.now() - start) / 1000, lat);
}

/** Runs HTTP requests from a worker thread, as an IdP would from elsewhere. */
function overHttp(job: ClientJob): Promise<ReturnType<typeof summary> & { client_event_loop_delay_max_ms: number; client_event_loop_delay_p99_ms: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./_scim-clients.mjs', import.meta.url), { workerData: job });
    w.once('message', (m: { seconds: number; latencies: number[]; loopDelay: { maxMs: number; p99Ms: number } }) =>
      resolve({ ...summary(job.requests.length, m.seconds, m.latencies), client_event_loop_delay_max_ms: m.loopDelay.maxMs, client_event_loop_delay_p99_ms: m.loopDelay.p99Ms }),
    );
    w.once('error', reject);
  });
}

type GcTotals = Record<string, { count: number; seconds: number }>;

/**
 * The server's event loop is sampled by prom-client with a 10 ms timer; its figures are the
 * timer's intervals, so the delay is what exceeds the 10 ms.
 */
const EVENT_LOOP_SAMPLE_MS = 10;

/** The control plane's event-loop delay since the last scrape and its GC totals by kind. */
async function serverView(cp: ControlPlaneFixture): Promise<{ lagMaxMs: number; lagP99Ms: number; gc: GcTotals }> {
  const text = await cp.metrics();
  const gauge = (name: string) => Math.max(0, Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]) * 1000 - EVENT_LOOP_SAMPLE_MS);
  const gc: GcTotals = {};
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} (\S+)/gm)) {
    const k = (gc[m[2]!] ??= { count: 0, seconds: 0 });
    if (m[1] === 'count') k.count = Number(m[3]);
    else k.seconds = Number(m[3]);
  }
  return { lagMaxMs: gauge('nodejs_eventloop_lag_max_seconds'), lagP99Ms: gauge('nodejs_eventloop_lag_p99_seconds'), gc };
}

function gcBetween(before: GcTotals, after: GcTotals) {
  const out: Record<string, { count: number; total_ms: number }> = {};
  for (const [kind, a] of Object.entries(after)) {
    const b = before[kind] ?? { count: 0, seconds: 0 };
    if (a.count > b.count) out[kind] = { count: a.count - b.count, total_ms: (a.seconds - b.seconds) * 1000 };
  }
  return out;
}

function person(i: number, prefix: string) {
  const area = AREAS[i % AREAS.length]!;
  const title = `${TITLES[(i * 7) % TITLES.length]}, ${area}`;
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER],
    userName: `${prefix}${i}@bench.example`,
    externalId: `ext-${i}`,
    name: { givenName: `Given${i}`, familyName: `Family${i % 997}` },
    displayName: `Given${i} Family${i % 997}`,
    emails: [{ value: `${prefix}${i}@bench.example`, type: 'work', primary: true }],
    active: true,
    title,
    timezone: 'Europe/Paris',
    [ENTERPRISE_USER]: { department: area, employeeNumber: String(100000 + i), costCenter: `CC-${i % 50}` },
  };
}

async function usesIndex(cp: ControlPlaneFixture, d: Directory, filter: string, index?: string): Promise<boolean> {
  const c = compileFilter(USER_FILTERS, parseFilter(filter));
  // Values inlined by knex so EXPLAIN plans this exact query.
  // As listUsers asks it: live users only, which the partial filter indexes (migration 0490) hold.
  const q = cp.db('scim_users').where({ tenant_id: d.tenant.id, directory_id: d.id }).whereNull('deleted_at').whereRaw(c.sql, c.bindings as never[]).orderBy('seq').limit(100).toQuery();
  const res = await cp.db.raw(`EXPLAIN ${q}`);
  const plan = (res.rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).join('\n');
  return /Index|Bitmap/.test(plan) && !/Seq Scan on scim_users/.test(plan) && (!index || plan.includes(index));
}

async function measure(cp: ControlPlaneFixture) {
  const t = await cp.createTenant();
  const api = await makeDirectory(cp, t, 'okta');
  const endpoint = { url: cp.url, token: api.token, clients: CLIENTS };
  const creates = await overHttp({ ...endpoint, requests: Array.from({ length: USERS }, (_, i) => ({ method: 'POST', path: `${api.base}/Users`, body: person(i, 'api'), expect: 201 })) });

  // The same creates spread over four tenants: each tenant's signed audit chain takes one
  // event at a time, so this shows how much of the single-tenant figure that lock costs.
  const spread = Math.max(400, Math.floor(USERS / 10));
  const others = await Promise.all([0, 1, 2, 3].map(async () => makeDirectory(cp, await cp.createTenant(), 'okta')));
  const spreadStart = performance.now();
  const parts = await Promise.all(
    others.map((dir, k) =>
      overHttp({
        url: cp.url,
        token: dir.token,
        clients: CLIENTS / 4,
        requests: Array.from({ length: spread / 4 }, (_, i) => ({ method: 'POST', path: `${dir.base}/Users`, body: person(k * spread + i, 'spread'), expect: 201 })),
      }),
    ),
  );
  const spreadSeconds = (performance.now() - spreadStart) / 1000;

  // The ceiling: the same rows, one INSERT each, the same parallelism, no HTTP, auth, validation or audit.
  // On PostgreSQL through a pool of its own, closed once the ceiling is measured: left in the
  // fixture's pool, its idle connections were closed ~30 s later, in the middle of a read phase,
  // and ten PostgreSQL backends exiting at once held both cores for 100-200 ms.
  const raw = await makeDirectory(cp, t, 'entra');
  const ceilingDb = cp.kind === 'pg' && cp.databaseUrl ? openDatabase({ databaseUrl: cp.databaseUrl, poolMax: CLIENTS }) : cp.db;
  let inserts: Awaited<ReturnType<typeof timed>>;
  try {
    inserts = await timed(USERS, CLIENTS, async (i) => {
      const id = newId('usr', 12);
      const cols = userColumns(id, cleanDocument(USER_TYPE, person(i, 'raw')));
      const now = new Date();
      await ceilingDb('scim_users').insert({ id, tenant_id: t.id, directory_id: raw.id, ...cols, version: 1, created_at: now, updated_at: now });
    });
  } finally {
    if (ceilingDb !== cp.db) await ceilingDb.destroy();
  }

  // Steady state, as autovacuum leaves it: statistics fresh and pages all-visible, in every
  // table the writes above filled (users, the change log, audit and governance events). Left
  // to autovacuum, those passes start up to a minute later, in the middle of the read phases,
  // and take a core from the server and the client while they run.
  const tables = await cp.db('pg_tables').where({ schemaname: 'public' }).pluck('tablename');
  await cp.db.raw(`VACUUM ANALYZE ${tables.map(() => '??').join(', ')}`, tables);
  const lookups = 1000;
  const byUserName = await overHttp({
    ...endpoint,
    clients: 4,
    warmup: WARMUP,
    requests: Array.from({ length: lookups }, (_, i) => ({ method: 'GET', path: `${api.base}/Users?filter=${encodeURIComponent(`userName eq "API${(i * 7919) % USERS}@bench.example"`)}`, expect: 200 })),
  });
  const byTitle = await overHttp({
    ...endpoint,
    clients: 4,
    warmup: WARMUP,
    requests: Array.from({ length: lookups }, (_, i) => ({ method: 'GET', path: `${api.base}/Users?filter=${encodeURIComponent(`title sw "${TITLES[i % TITLES.length]!.slice(0, 6).toLowerCase()}"`)}&count=100`, expect: 200 })),
  });
  // The same lookups one at a time, as an IdP sends them before each write: the latency of a
  // request at this size, without the queueing of four clients on a machine they share.
  // A p99 is the 1% slowest requests: of a few hundred, a handful, so that one stall of the
  // shared machine (another process holding both cores for 100 ms) decides it alone. These
  // samples are a thousand and more requests long, so that the p99 measures the requests.
  const userNameLookups = (k: number, n: number) => Array.from({ length: n }, (_, i) => ({ method: 'GET', path: `${api.base}/Users?filter=${encodeURIComponent(`userName eq "API${(i * 7919 + k) % USERS}@bench.example"`)}`, expect: 200 }));
  const titlePages = (k: number, n: number) => Array.from({ length: n }, (_, i) => ({ method: 'GET', path: `${api.base}/Users?filter=${encodeURIComponent(`title sw "${TITLES[(i + k) % TITLES.length]!.slice(0, 6).toLowerCase()}"`)}&count=100`, expect: 200 }));
  const oneByOne = (requests: ClientJob['requests']) => overHttp({ ...endpoint, clients: 1, warmup: WARMUP, requests });
  const byUserNameAlone = await oneByOne(userNameLookups(13, 1500));
  const byTitleAlone = await oneByOne(titlePages(3, 1500));
  // Entra's matching lookup when an admin makes the work email the matching attribute.
  const byWorkEmailAlone = await oneByOne(
    Array.from({ length: 1500 }, (_, i) => ({ method: 'GET', path: `${api.base}/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "API${(i * 7919 + 17) % USERS}@bench.example"`)}`, expect: 200 })),
  );
  // At the most a tenant may send for long (its sustained rate limit), over four connections,
  // on a schedule that does not wait for answers: the latency an IdP syncing flat out sees.
  // Beside each, what the server saw over that time (its warm-up seconds included), from its own
  // /metrics, and the client thread's own delay: where a tail of the client's figures comes
  // from (collections, or an event loop that did not run, on either side).
  const atRate = async (requests: ClientJob['requests']) => {
    const before = await serverView(cp); // a scrape also resets the event-loop delay histogram
    const r = await overHttp({ ...endpoint, clients: 4, ratePerSecond: RATE, warmup: RATE * WARMUP_AT_RATE_SECONDS, requests });
    const after = await serverView(cp);
    return { ...r, server: { event_loop_delay_max_ms: after.lagMaxMs, event_loop_delay_p99_ms: after.lagP99Ms, gc: gcBetween(before.gc, after.gc) } };
  };
  const byUserNameAtRate = await atRate(userNameLookups(29, RATE * AT_RATE_SECONDS));
  const byTitleAtRate = await atRate(titlePages(5, RATE * AT_RATE_SECONDS));
  return {
    users: USERS,
    clients: CLIENTS,
    api_create: creates,
    raw_insert_ceiling: inserts,
    api_over_raw_ratio: creates.per_second / inserts.per_second,
    api_create_four_tenants: { count: spread, per_second: spread / spreadSeconds, p50_ms_worst_tenant: Math.max(...parts.map((p) => p.p50_ms)), p99_ms_worst_tenant: Math.max(...parts.map((p) => p.p99_ms)) },
    // Four clients at once, closed loop: more than a tenant may send for long (3x its sustained
    // rate); this machine saturated, latency mostly queueing. Its per_second is the capacity.
    get_filter_clients: 4,
    get_filter_username_eq: byUserName,
    get_filter_title_sw_count_100: byTitle,
    get_filter_username_eq_one_client: byUserNameAlone,
    get_filter_title_sw_count_100_one_client: byTitleAlone,
    get_filter_work_email_eq_one_client: byWorkEmailAlone,
    get_filter_rate_per_second: RATE,
    // Sent before each read phase and not counted: WARMUP requests, and the first seconds at the rate limit.
    get_filter_warmup_requests: { closed_loop: WARMUP, at_rate: RATE * WARMUP_AT_RATE_SECONDS },
    get_filter_username_eq_at_rate: byUserNameAtRate,
    get_filter_title_sw_count_100_at_rate: byTitleAtRate,
    username_eq_uses_index: await usesIndex(cp, api, 'userName eq "api1@bench.example"'),
    title_sw_uses_index: await usesIndex(cp, api, 'title sw "vice"'),
    work_email_eq_uses_index: await usesIndex(cp, api, 'emails[type eq "work"].value eq "api1@bench.example"', 'scim_users_email_values'),
    targets: { api_over_raw_at_least: 0.25, filtered_get_p99_ms_under: 20 },
    // The p99 target is judged one request at a time and at the tenant's sustained rate; the
    // closed-loop figures above measure the machine's capacity, reported beside them.
    met: {
      api_over_raw: creates.per_second / inserts.per_second >= 0.25,
      filtered_get_p99: [byUserNameAlone, byTitleAlone, byUserNameAtRate, byTitleAtRate].every((r) => r.p99_ms < 20),
    },
  };
}

export async function run() {
  // The figures the issue asks for are on PostgreSQL, with the control plane in a process of its
  // own as it runs in production (the clients' threads and this harness outside its heap and
  // event loop). Without a server they are taken on PGlite, in this process.
  const kind = dbKinds().includes('pg') ? 'pg' : 'pglite';
  // The creates go as fast as the clients can send them, above any tenant's budget.
  const unlimited = { sustainedPerSecond: 1_000_000, burstPerSecond: 1_000_000 };
  const cp =
    kind === 'pg'
      ? await startControlPlaneProcess({ env: { CLARESIA_SCIM_RATE_PER_SECOND: String(unlimited.sustainedPerSecond), CLARESIA_SCIM_RATE_BURST: String(unlimited.burstPerSecond) } })
      : await startControlPlane({ db: kind, config: { scimRateLimit: unlimited } });
  try {
    return { database: kind, control_plane: kind === 'pg' ? 'own process' : 'in process', ...(await measure(cp)) };
  } finally {
    await cp.close();
  }
}
