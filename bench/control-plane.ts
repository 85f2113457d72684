// Core control-plane figures on both databases, measured in one run: authenticated reads
// (JWT + session check per request) and writes that append a signed governance event.
import { startControlPlane, type TestControlPlane } from '../test/support/control-plane.js';
import { dbKinds } from '../test/support/db.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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
  const seconds = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { per_second: n / seconds, p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99) };
}

async function measure(cp: TestControlPlane) {
  const tenants = await Promise.all([1, 2, 3, 4].map(() => cp.createTenant()));
  const reads = await timed(1000, 8, async (i) => {
    const r = await cp.request('GET', '/api/v1/tenant', { token: tenants[i % 4]!.token });
    if (r.status !== 200) throw new Error(`read ${r.status}`);
  });
  const writes = await timed(400, 8, async (i) => {
    const r = await cp.request('PATCH', '/api/v1/tenant', { token: tenants[i % 4]!.token, body: { display_name: `n${i}` } });
    if (r.status !== 200) throw new Error(`write ${r.status}`);
  });
  const verify0 = performance.now();
  const v = await cp.request('GET', '/api/v1/hub/governance-events:verify', { token: tenants[0]!.token });
  if (!v.body.ok) throw new Error('chain does not verify');
  return { authenticated_reads: reads, writes_with_signed_event: writes, verify_ms_per_event: (performance.now() - verify0) / v.body.events_checked };
}

export async function run() {
  const out: Record<string, unknown> = {};
  for (const kind of dbKinds()) {
    const cp = await startControlPlane({ db: kind });
    try {
      out[kind] = await measure(cp);
    } finally {
      await cp.close();
    }
  }
  const pg = out.pg as any;
  const lite = out.pglite as any;
  if (pg && lite) out.write_rate_ratio_pg_over_pglite = pg.writes_with_signed_event.per_second / lite.writes_with_signed_event.per_second;
  return out;
}
