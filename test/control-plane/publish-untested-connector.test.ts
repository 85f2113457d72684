import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { until, withEnv } from '../support/until.js';
import { forwardTo } from '../support/http.js';

const FAST = { CLARESIA_JOBS_POLL_MS: '50', CLARESIA_PUBLISH_RETRY_MS: '50', CLARESIA_PUBLISH_MAX_RETRY_MS: '2000', CLARESIA_PUBLISH_MAX_ATTEMPTS: '5' };
const ENG = ['claresia.codewright.code-review', 'claresia.core.meeting-notes'];
const PUBLISH_PATH = '/claude/v1/skills/grants';

/**
 * In front of the platform double: holds every connector test (anything but a publish) until
 * released, so a change can be published while the automatic test after a create is still
 * pending, as in a terraform apply creating a connector and entitlements together.
 */
interface TestGate {
  url: string;
  held: number;
  /** Set by release(): a test makes more than one call, and the ones after the first pass. */
  open: boolean;
  /** Lets the held calls through (or answers them), and every later one until close(). */
  release(answer?: { status: number; body: unknown }): void;
  close(): Promise<void>;
}

async function startTestGate(target: string): Promise<TestGate> {
  type Answer = { status: number; body: unknown } | undefined;
  const waiting: Array<(answer: Answer) => void> = [];
  let later: Answer;
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => forwardTo(target, req, body, res);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === PUBLISH_PATH) return forward(req, body, res);
      const reply = (answer: Answer) => {
        if (!answer) return forward(req, body, res);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      };
      if (gate.open) return reply(later);
      gate.held++;
      waiting.push(reply);
    });
  });
  const gate: TestGate = {
    url: '',
    held: 0,
    open: false,
    release: (answer) => {
      gate.open = true;
      later = answer;
      for (const go of waiting.splice(0)) go(answer);
    },
    close: () => new Promise<void>((r) => (gate.release(), server.closeAllConnections(), server.close(() => r()))),
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gate;
}

for (const kind of dbKinds()) {
  describe(`publish while the only connector's automatic test is pending [${kind}]`, function () {
    this.timeout(120_000);
    let cp: TestControlPlane;
    let double: PlatformServer;
    let gate: TestGate;
    let t: TenantFixture;
    let restoreEnv = () => {};
    const api = (method: string, path: string, body?: unknown) => cp.request(method, path, { token: t.token, ...(body === undefined ? {} : { body }) });
    const events = async (type: string) => cp.db('governance_events').where({ tenant_id: t.id, type }).orderBy('seq');

    before(async function () {
      this.timeout(180_000);
      restoreEnv = withEnv(FAST);
      double = await startPlatformServer();
      gate = await startTestGate(double.url);
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      await gate?.close();
      await double?.close();
      restoreEnv();
    });

    /** A fresh tenant, a connector whose automatic test is on the wire, and an entitlement change made meanwhile whose publish has run. */
    async function changeWhileTestPending() {
      gate.open = false;
      t = await cp.createTenant();
      const credential = `claude-key-${Math.random().toString(36).slice(2)}`;
      double.addAccount('claude', { credential, scopes: ['skills'] });
      const before = gate.held;
      const c = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'Claude', credential, base_url: `${gate.url}/claude` });
      assert.equal(c.status, 201, c.text);
      await until('the automatic test reached the platform', () => gate.held > before);
      const e = await api('POST', '/api/v1/skill-entitlement/archetypes', { archetype: 'eng', skills: ENG });
      assert.equal(e.status, 201, e.text);
      const req = await until('the publish of the change ran', async () => {
        const r = await cp.db('distribution_requests').where({ tenant_id: t.id }).first();
        const publishing = await cp.db('jobs').where({ queue: 'distribution.publish', tenant_id: t.id }).count({ n: '*' }).first();
        return r?.publish_id && Number(publishing?.n) === 0 && r;
      });
      assert.equal((await api('GET', `/api/v1/llm/connectors/${c.body.id}`)).body.status, 'untested', 'the test is still held');
      return { connector: c.body.id as string, request: req.id as string };
    }

    it('leaves the request pending, then completes it when the test passes, with no distribution.failed', async () => {
      const { connector, request } = await changeWhileTestPending();
      assert.equal((await cp.db('distribution_requests').where({ id: request }).first()).status, 'pending', 'an untested connector is not a refused one');
      gate.release();
      const done = await until('the request completed', async () => {
        const r = (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${request}`)).body;
        return r.status !== 'pending' && r;
      });
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.equal((await api('GET', `/api/v1/llm/connectors/${connector}`)).body.status, 'connected');
      assert.deepEqual(await events('distribution.failed'), []);
      assert.equal((await events('distribution.published')).length >= 1, true);
    });

    it('fails the pending request, naming the connector, when the automatic test is refused', async () => {
      const { connector, request } = await changeWhileTestPending();
      gate.release({ status: 401, body: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } });
      const failed = await until('the request failed', async () => {
        const r = (await api('GET', `/api/v1/skill-entitlement/distribution/requests/${request}`)).body;
        return r.status !== 'pending' && r;
      });
      assert.equal(failed.status, 'failed');
      assert.match(failed.last_error, new RegExp(`^no connector is connected: claude ${connector} failed its test: `));
      assert.equal((await api('GET', `/api/v1/llm/connectors/${connector}`)).body.status, 'failed');
      const [event] = await events('distribution.failed');
      assert.deepEqual(event.data.requests, [request]);
      assert.equal(event.data.error, failed.last_error);
    });
  });
}
