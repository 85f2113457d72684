import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dbKinds } from '../support/db.js';
import { startControlPlane, startControlPlaneProcess, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isPublishCall, startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';

// CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS is one of the job settings, read and checked once at
// start (jobs/settings.ts): a bad value stops `serve` naming it, and what the start read is what
// every publish uses.

const GIVE_UP = 'CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS';
// Three quick attempts, then a slow retry every 300 ms (30 min in production).
const SLOW = {
  CLARESIA_JOBS_POLL_MS: '50',
  CLARESIA_PUBLISH_RETRY_MS: '20',
  CLARESIA_PUBLISH_MAX_RETRY_MS: '100',
  CLARESIA_PUBLISH_MAX_ATTEMPTS: '3',
  CLARESIA_PUBLISH_RECOVERY_MS: '300',
};
const CLI = ['--conditions=source', '--import', 'tsx', 'control-plane/src/cli.ts', 'serve'];

/** `serve` on a new embedded database; resolves with its exit code and stderr once it ends, or rejects if it started listening. */
function serveEmbedded(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'claresia-give-up-'));
  const full: NodeJS.ProcessEnv = { ...process.env, CLARESIA_DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env };
  delete full.DATABASE_URL;
  delete full.CLARESIA_OPERATOR_TOKEN;
  delete full.CLARESIA_MASTER_KEY;
  const proc = spawn(process.execPath, CLI, { env: full, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    proc.stderr!.on('data', (d) => {
      stderr += d;
      if (/listening on/.test(stderr)) {
        proc.kill('SIGTERM');
        reject(new Error(`serve started despite the setting: ${stderr}`));
      }
    });
    proc.once('exit', (code) => resolve({ code, stderr }));
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe(`${GIVE_UP}: a bad value stops the start, naming the variable`, function () {
  this.timeout(120_000);

  it('on the embedded database', async () => {
    const r = await serveEmbedded({ [GIVE_UP]: '72h' });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS must be a number of hours, 0 to never give up, got "72h"$/m);
  });

  it('on PostgreSQL', async function () {
    if (!dbKinds().includes('pg')) this.skip();
    await assert.rejects(
      startControlPlaneProcess({ env: { [GIVE_UP]: '0.25' } }),
      /exited before listening: [^]*error: CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS \(0.25 h\) must be at least CLARESIA_PUBLISH_RECOVERY_MS \(1800000 ms, 30 min\)/,
    );
  });
});

for (const kind of dbKinds()) {
  describe(`publish: the give-up period is the one read at start [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let double: PlatformServer;
    let t: TenantFixture;
    let connector: string;
    const restore: Array<() => void> = [];
    const api = (method: string, p: string, body?: unknown) => cp.request(method, p, { token: t.token, ...(body === undefined ? {} : { body }) });
    const connectorRow = async () => (await api('GET', `/api/v1/llm/connectors/${connector}`)).body;
    const publishCalls = () => double.calls.filter(isPublishCall).length;

    before(async () => {
      restore.push(withEnv({ ...SLOW, [GIVE_UP]: '1' }));
      double = await startPlatformServer();
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      const credential = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential, scopes: ['skills'] });
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential, base_url: double.baseUrl('claude') });
      assert.equal(c.status, 201, c.text);
      connector = c.body.id;
      assert.equal((await api('POST', `/api/v1/llm/connectors/${connector}:test`)).body.status, 'connected');
      await until('the publish after the test ended', async () => (await cp.count('distribution_requests', { tenant_id: t.id, status: 'pending' })) === 0);
    });
    after(async () => {
      await cp?.close();
      await double?.close();
      while (restore.length) restore.pop()!();
    });

    it('changing the variable after the start changes nothing: the connector is given up after the 1 h read at start', async () => {
      // A process's environment does not change in production; here it shows what each publish reads.
      restore.push(withEnv({ [GIVE_UP]: '0' }));
      double.failPublishes('claude', Infinity);
      const r = await api('POST', '/api/v1/skill-entitlement/distribution:republish', { reason: 'outage' });
      assert.equal(r.status, 202, r.text);
      await until('the publish ran out of attempts', async () => (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${r.body.id}`)).body.status === 'failed');
      await until('the run of failures is dated', async () => !!(await cp.db('llm_connectors').where({ id: connector }).first('publish_failing_since')).publish_failing_since);
      // Two hours of failures, on the clock the give-up reads.
      await cp.db('llm_connectors').where({ id: connector }).update({ publish_failing_since: cp.db.raw(`publish_failing_since - interval '2 hours'`) });
      const calls = publishCalls();
      // Given up at the next slow retry; read per publish, the "0" would keep retrying for good.
      await until('given up, or three more slow retries', async () => (await connectorRow()).status !== 'connected' || publishCalls() >= calls + 3);
      const c = await connectorRow();
      assert.equal(c.status, 'failed', `still retried after ${publishCalls() - calls} more calls`);
      assert.match(c.status_reason, /^publishing stopped: no publish succeeded for 1 h /);
    });
  });
}
