// De-provisioning latency: from an Okta-style SCIM PATCH active=false to the publish that no
// longer grants that user having reached every connected platform (a local server playing the
// four platforms' APIs), while other SCIM traffic runs at 100 requests per second. The path is
// the product's: SCIM write -> de-provisioning hook (roster member inactive, publish queued in
// the same transaction) -> job queue -> publish to each platform.
//
// Each user signs in with a UPN (eng<i>.upn@) that is not their work email (eng<i>@), as Entra ID
// sends it, and an HR file lists them under it too: so every de-provisioning also turns off a
// member at a login, and every re-activation (timed after the samples, SCIM request only) asks
// whether a departed person had that login as work email (roster/holders.ts departedWorkEmail),
// a lookup that read every SCIM user of the tenant before migration 0880. DEPROVISION_BENCH_USERS
// sets the tenant's size (10,000 for a large tenant).
import { Worker } from 'node:worker_threads';
import { startControlPlane } from '../test/support/control-plane.js';
import { dbKinds } from '../test/support/db.js';
import { makeDirectory, PATCH_OP } from '../test/control-plane/scim/helpers.js';
import { startPlatformServer, type PlatformName } from '../test/support/platforms/platform-server.js';

const USERS = Number(process.env.DEPROVISION_BENCH_USERS ?? 300);
const SAMPLES = Number(process.env.DEPROVISION_BENCH_SAMPLES ?? 200);
const BACKGROUND_RPS = Number(process.env.DEPROVISION_BENCH_RPS ?? 100);
const PLATFORMS: PlatformName[] = ['claude', 'copilot', 'chatgpt', 'slack'];
const SCOPES: Record<PlatformName, string[]> = {
  claude: ['skills'],
  chatgpt: ['api.model.read'],
  copilot: ['manage_billing:copilot', 'admin:org'],
  slack: ['chat:write', 'commands', 'users:read', 'users:read.email'],
};
const login = (i: number) => `eng${i}.upn@bench.example`;
const ENG_SKILLS = ['claresia.codewright.code-review', 'claresia.codewright.test-writer', 'claresia.core.meeting-notes'];

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run() {
  const kind = dbKinds().includes('pg') ? 'pg' : 'pglite';
  const platforms = await startPlatformServer();
  const cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true, scimRateLimit: { sustainedPerSecond: 1_000_000, burstPerSecond: 1_000_000 } } });
  let background: Worker | undefined;
  try {
    const t = await cp.createTenant();
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    };
    for (const p of PLATFORMS) {
      const credential = `${p}-bench-${Math.random().toString(36).slice(2)}`;
      platforms.addAccount(p, { credential, scopes: SCOPES[p] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: p, name: p, credential, base_url: platforms.baseUrl(p) });
      await api('POST', `/api/v1/llm/connectors/${c.id}:test`);
    }
    const dir = await makeDirectory(cp, t, 'okta');
    const ids: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `eng${i}@bench.example`;
      const res = await cp.request('POST', `${dir.base}/Users`, {
        token: dir.token,
        body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: login(i), emails: [{ value: email, primary: true }], title: 'Software Engineer', active: true },
        headers: { 'Content-Type': 'application/scim+json' },
      });
      if (res.status !== 201) throw new Error(`create: ${res.status} ${res.text}`);
      ids.push(res.body.id);
    }
    await api('POST', '/api/v1/roster/scim:sync');
    const rows = ids.map((_, i) => `${login(i)},Eng,${i},Software Engineer`).join('\n');
    const imported = await cp.request('POST', '/api/v1/roster/csv', { token: t.token, raw: `email,first_name,last_name,title\n${rows}\n`, headers: { 'content-type': 'text/csv' } });
    if (imported.status !== 200) throw new Error(`csv: ${imported.status} ${imported.text}`);
    await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG_SKILLS });

    // A waiter per de-provisioned address, released by the publish that leaves it out everywhere.
    const waiters = new Map<string, (at: number) => void>();
    const hasUser = (email: string) => PLATFORMS.some((p) => platforms.grants(p).some((g) => g.email === email));
    platforms.onPublish = () => {
      for (const [email, done] of waiters) {
        if (!hasUser(email)) {
          waiters.delete(email);
          done(performance.now());
        }
      }
    };
    const start = performance.now();
    // Each person is granted under their work email and under their login.
    while (!PLATFORMS.every((p) => platforms.grants(p).length === 2 * USERS * ENG_SKILLS.length)) {
      if (performance.now() - start > 60_000) throw new Error('the initial grants never reached the platforms');
      await sleep(50);
    }

    background = new Worker(new URL('./_scim-background.mjs', import.meta.url), { workerData: { url: cp.url, token: dir.token, base: dir.base, rate: BACKGROUND_RPS, prefix: 'bg' } });
    const bgDone = new Promise<{ sent: number; failed: number; seconds: number; latencies: number[] }>((resolve, reject) => {
      background!.once('message', resolve);
      background!.once('error', reject);
    });
    await sleep(1000);

    const latencies: number[] = [];
    const scimLatencies: number[] = [];
    for (let i = 0; i < Math.min(SAMPLES, USERS); i++) {
      const email = `eng${i}@bench.example`;
      const reached = new Promise<number>((resolve) => waiters.set(email, resolve));
      const t0 = performance.now();
      // Okta's form: replace with a value object, no path.
      const res = await cp.request('PATCH', `${dir.base}/Users/${ids[i]}`, {
        token: dir.token,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] },
        headers: { 'Content-Type': 'application/scim+json' },
      });
      scimLatencies.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`deprovision: ${res.status} ${res.text}`);
      const at = await Promise.race([reached, sleep(30_000).then(() => NaN)]);
      if (Number.isNaN(at)) throw new Error(`${email} still granted 30 s after its de-provisioning`);
      latencies.push(at - t0);
      // Spaced out, so each sample is one de-provisioning rather than a batch coalesced into one publish.
      await sleep(150);
    }
    // Re-activation: the member at each login is turned on again once no departed person is found
    // to have that address as work email.
    const reactivations: number[] = [];
    for (let i = 0; i < latencies.length; i++) {
      const t0 = performance.now();
      const res = await cp.request('PATCH', `${dir.base}/Users/${ids[i]}`, {
        token: dir.token,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: true } }] },
        headers: { 'Content-Type': 'application/scim+json' },
      });
      reactivations.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`reactivate: ${res.status} ${res.text}`);
    }
    const back = (await cp.db('roster_members').where({ tenant_id: t.id, active: true }).whereIn('email', latencies.map((_, i) => login(i))).count({ n: '*' })) as Array<{ n: number | string }>;
    if (Number(back[0]!.n) !== latencies.length) throw new Error('a re-activated login member stayed off');
    background.postMessage('stop');
    const bg = await bgDone;
    latencies.sort((a, b) => a - b);
    scimLatencies.sort((a, b) => a - b);
    reactivations.sort((a, b) => a - b);
    bg.latencies.sort((a, b) => a - b);
    return {
      database: kind,
      users: USERS,
      platforms: PLATFORMS.length,
      grants_per_publish: 2 * (USERS - 1) * ENG_SKILLS.length,
      samples: latencies.length,
      scim_to_all_platforms_p50_ms: percentile(latencies, 50),
      scim_to_all_platforms_p99_ms: percentile(latencies, 99),
      scim_to_all_platforms_max_ms: latencies.at(-1),
      scim_patch_p50_ms: percentile(scimLatencies, 50),
      scim_reactivate_p50_ms: percentile(reactivations, 50),
      scim_reactivate_p99_ms: percentile(reactivations, 99),
      background: { target_rps: BACKGROUND_RPS, achieved_rps: bg.sent / bg.seconds, failed: bg.failed, p50_ms: percentile(bg.latencies, 50), p99_ms: percentile(bg.latencies, 99) },
      targets: { p99_ms_under: 1000, promised_ms: 60_000 },
    };
  } finally {
    background?.postMessage('stop');
    await sleep(100);
    await background?.terminate();
    await cp.close();
    await platforms.close();
  }
}
