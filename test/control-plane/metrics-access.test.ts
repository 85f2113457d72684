/**
 * /metrics is not public: it answers the bearer of CLARESIA_METRICS_TOKEN or the operator token,
 * and 401 in the API's error shape to anyone else (a tenant's token included).
 */
import assert from 'node:assert/strict';
import { loadConfig } from '../../control-plane/src/config.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';

const METRICS_TOKEN = 'prom_0123456789abcdef-scrape';

function assertRefused(res: { status: number; body: any; headers: Headers; text: string }, message: RegExp) {
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.error.code, 'unauthorized');
  assert.equal(res.body.error.field, 'authorization');
  assert.match(res.body.error.message, message);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  assert.doesNotMatch(res.text, /claresia_http_requests_total|process_cpu/);
}

for (const kind of dbKinds()) {
  describe(`/metrics with CLARESIA_METRICS_TOKEN set [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    before(async () => {
      cp = await startControlPlane({ db: kind, config: { metricsToken: METRICS_TOKEN } });
      t = await cp.createTenant();
    });
    after(async () => cp?.close());

    it('refuses a scrape without a token, with a wrong one, with a tenant token or in another scheme', async () => {
      assertRefused(await cp.request('GET', '/metrics'), /CLARESIA_METRICS_TOKEN/);
      assertRefused(await cp.request('GET', '/metrics', { token: `${METRICS_TOKEN}x` }), /invalid token/);
      assertRefused(await cp.request('GET', '/metrics', { token: t.token }), /invalid token/);
      assertRefused(await cp.request('GET', '/metrics', { headers: { Authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` } }), /Bearer/);
    });

    it('answers the metrics token and the operator token', async () => {
      for (const token of [METRICS_TOKEN, cp.operatorToken]) {
        const res = await cp.request('GET', '/metrics', { token });
        assert.equal(res.status, 200, res.text);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.match(res.text, /claresia_http_requests_total\{method="POST",route="\/api\/v1\/tenants",status="201"\} 1/);
      }
      // Refused scrapes are counted like any request, so a scanner shows up in the figures.
      assert.match(await cp.metrics(), /claresia_http_requests_total\{method="GET",route="\/metrics",status="401"\} [1-9]/);
    });

    it('leaves the health probes open', async () => {
      assert.equal((await cp.request('GET', '/healthz')).status, 200);
      assert.equal((await cp.request('GET', '/readyz')).status, 200);
    });
  });

  describe(`/metrics without CLARESIA_METRICS_TOKEN [${kind}]`, function () {
    let cp: TestControlPlane;
    before(async () => {
      cp = await startControlPlane({ db: kind });
    });
    after(async () => cp?.close());

    it('answers the operator token only', async () => {
      assertRefused(await cp.request('GET', '/metrics'), /CLARESIA_METRICS_TOKEN/);
      assert.equal((await cp.request('GET', '/metrics', { token: cp.operatorToken })).status, 200);
    });
  });
}

describe('/metrics configuration', function () {
  const SERVER = { DATABASE_URL: 'postgres://claresia@127.0.0.1:1/nowhere', CLARESIA_OPERATOR_TOKEN: 'op_0123456789abcdef', CLARESIA_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
  it('reads CLARESIA_METRICS_TOKEN and refuses one too short or holding white space', () => {
    assert.equal(loadConfig(SERVER).metricsToken, undefined);
    assert.equal(loadConfig({ ...SERVER, CLARESIA_METRICS_TOKEN: METRICS_TOKEN }).metricsToken, METRICS_TOKEN);
    for (const bad of ['short', 'prom_0123456789 abcdef', 'prom_0123456789abcdef\n']) {
      assert.throws(() => loadConfig({ ...SERVER, CLARESIA_METRICS_TOKEN: bad }), /^Error: CLARESIA_METRICS_TOKEN must be at least 16 characters with no white space/);
    }
  });
});
