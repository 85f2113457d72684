// Pulumi provider figures, in one run: plugin start to its port on stdout; Check, Diff and
// Create round trips over gRPC against a control plane on the embedded database; and a refresh
// of N tenants at once (wall time, and GET requests the control plane answered) against N
// sequential GETs by id through the same control plane. Run alone with `npm run bench -- pulumi`.
import { startControlPlane, type ControlPlaneFixture } from '../test/support/control-plane.js';
import { js, launchPlugin, req, secret, urnOf } from '../test/pulumi-package/support/engine.js';

const N = Number(process.env.BENCH_PULUMI_REFRESH ?? 200);

function median(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

/** GET requests the control plane has answered, from its /metrics. */
async function gets(cp: ControlPlaneFixture): Promise<number> {
  const text = await cp.metrics();
  let n = 0;
  for (const m of text.matchAll(/^claresia_http_requests_total\{([^}]*)\} (\d+)/gm)) if (/method="GET"/.test(m[1]!) && /route="\/api\/v1\/tenants/.test(m[1]!)) n += Number(m[2]);
  return n;
}

export async function run(): Promise<Record<string, unknown>> {
  const startups: number[] = [];
  for (let i = 0; i < 8; i++) {
    const p = await launchPlugin();
    if (i > 0) startups.push(p.startupMs); // the first launch warms the file cache
    await p.stop();
  }
  const cp = await startControlPlane();
  const p = await launchPlugin();
  try {
    await p.call('configure', req.configure({ endpoint: cp.url, token: secret(cp.operatorToken) }));
    const inputs = (i: number) => ({ slug: `bench-${i}`, displayName: `Bench ${i}`, region: 'eu-west-1', deploymentMode: 'A', billingContact: `b@bench-${i}.example` });
    const checks: number[] = [];
    for (let i = 0; i < 50; i++) checks.push((await timed(() => p.call('check', req.check(urnOf('Tenant', 'x'), inputs(i)))))[0]);
    const creates: number[] = [];
    const states: Array<{ id: string; outs: Record<string, unknown>; inputs: Record<string, unknown> }> = [];
    for (let i = 0; i < N; i++) {
      const [ms, res] = await timed(() => p.call<any>('create', req.create(urnOf('Tenant', `t${i}`), inputs(i))));
      creates.push(ms);
      states.push({ id: res.getId(), outs: js(res.getProperties()), inputs: inputs(i) });
    }
    const diffs: number[] = [];
    for (const s of states.slice(0, 50)) diffs.push((await timed(() => p.call('diff', req.diff(urnOf('Tenant', 'x'), s.id, s.outs, s.inputs, s.inputs))))[0]);

    // Refresh as the engine runs it: every Read in flight at once.
    const before = await gets(cp);
    const [refreshMs] = await timed(() => Promise.all(states.map((s, i) => p.call('read', req.read(urnOf('Tenant', `t${i}`), s.id, s.outs, s.inputs)))));
    const refreshGets = (await gets(cp)) - before;
    // The same reads one GET by id at a time, straight at the API.
    const [sequentialMs] = await timed(async () => {
      for (const s of states) await cp.request('GET', `/api/v1/tenants/${s.id}`, { token: cp.operatorToken });
    });
    return {
      plugin_start_to_port_ms: { median: median(startups), max: Math.max(...startups) },
      check_roundtrip_ms_median: median(checks),
      diff_roundtrip_ms_median: median(diffs),
      create_tenant_roundtrip_ms_median: median(creates),
      refresh: {
        resources: N,
        wall_ms: refreshMs,
        api_get_requests: refreshGets,
        sequential_gets_by_id_wall_ms: sequentialMs,
        ratio_sequential_over_refresh: sequentialMs / refreshMs,
      },
    };
  } finally {
    await p.stop();
    await cp.close();
  }
}
