import type { DbKind } from '../support/db.js';
import type { HttpResult } from '../support/http.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';

/**
 * What the Idempotency-Key replay suites share: a control plane with one tenant, and the calls
 * that replay (a POST with or without a key) and that prove a secret works (a login, a SCIM read,
 * an ingest). The fields are set once the suite's `before` hook has run.
 */
export interface ReplayFixture {
  cp: TestControlPlane;
  t: TenantFixture;
  /** Only with `platform: true`: a Claude account on loopback, for LLM connectors. */
  platforms: PlatformServer;
  /** The Claude account's credential (random, so a leak in an answer is found by its text). */
  platformKey: string;
  /** A POST as the tenant (or `token`), with an Idempotency-Key unless `key` is undefined. */
  post(path: string, key: string | undefined, body?: unknown, token?: string): Promise<HttpResult>;
  login(clientId: string, clientSecret: string): Promise<HttpResult>;
  scimUsers(directoryId: string, bearerToken: string): Promise<HttpResult>;
  ingest(credential: string, invocationId: string): Promise<HttpResult>;
}

/**
 * Registers the enclosing describe's before/after hooks. A `before` the suite registers first
 * may skip it (this.skip()): nothing is started then.
 */
export function replayFixture(kind: DbKind, opts: { platform?: boolean } = {}): ReplayFixture {
  const random = () => Math.random().toString(36).slice(2);
  const fx = {
    platformKey: `claude-replay-${random()}${random()}`,
    post: (path, key, body, token) => fx.cp.request('POST', path, { token: token ?? fx.t.token, body, headers: key === undefined ? {} : { 'Idempotency-Key': key } }),
    login: (clientId, clientSecret) => fx.cp.request('POST', '/api/v1/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } }),
    scimUsers: (directoryId, bearerToken) => fx.cp.request('GET', `/scim/v2/${directoryId}/Users`, { token: bearerToken }),
    ingest: (credential, invocationId) =>
      fx.cp.request('POST', '/api/v1/telemetry/events', { token: credential, body: { skill_id: 'claresia.core.meeting-notes', invocation_id: invocationId } }),
  } as ReplayFixture;

  before(async () => {
    if (opts.platform) {
      fx.platforms = await startPlatformServer();
      fx.platforms.addAccount('claude', { credential: fx.platformKey, scopes: ['skills'] });
    }
    // Private URLs: the platform server is on loopback.
    fx.cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    fx.t = await fx.cp.createTenant();
  });
  after(async () => {
    await fx.cp?.close();
    await fx.platforms?.close();
  });
  return fx;
}
