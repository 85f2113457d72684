import type { AppContext } from '../context.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { FetchPolicy } from '../net/guarded-fetch.js';
import { secretPurpose, type ConnectionRow } from './connections.js';
import { LoginStates, type LoginPurpose } from './login-state.js';
import { startOidcLogin } from './oidc.js';
import { cachedDiscover } from './discovery-cache.js';
import { startSamlLogin } from './saml.js';
import { spEndpoints } from './urls.js';

export const fetchPolicyOf = (app: AppContext): FetchPolicy => ({ allowPrivate: app.config.allowPrivateUrls === true });

export interface BegunLogin {
  redirectUrl: string;
  /** The SAML request id or the OIDC state: what the IdP's answer must carry back. */
  loginId: string;
  expiresAt: Date;
}

/** Starts the login and records its state through `scope` (a short write transaction). */
export type LoginStarter = (scope: TenantScope, purpose: LoginPurpose) => Promise<BegunLogin>;

/**
 * Readies an SP-initiated login through a connection (AuthnRequest, or authorization request
 * with PKCE). What waits on the IdP (the OIDC discovery document, kept a while per replica
 * by discovery-cache.ts) happens here, on the pool, so the caller opens its transaction only
 * afterwards: an anonymous sign-in start against a slow IdP must not hold a database connection. The starter records the state with its
 * purpose, so the one ACS / callback URL the IdP knows can tell an admin's test from a user
 * signing in. `retryFailedDiscovery` is for the admin's test: it is not answered with a
 * discovery failure kept from before (see discovery-cache.ts).
 */
export async function prepareLogin(app: AppContext, row: ConnectionRow, { retryFailedDiscovery = false } = {}): Promise<LoginStarter> {
  const ep = spEndpoints(app.publicUrl(), row.id, row.protocol);
  if (row.protocol === 'saml') {
    return async (scope, purpose) => {
      const states = new LoginStates(scope, app.keys, row.id, 'saml', purpose);
      const started = await startSamlLogin(
        { idp_sso_url: row.idp_sso_url!, idp_certificate: row.idp_certificate!, idp_entity_id: row.idp_entity_id!, ...ep },
        states.samlCache(),
        row.id,
      );
      const saved = await scope.table('sso_login_states').where({ id: started.requestId }).first('expires_at');
      return { redirectUrl: started.url, loginId: started.requestId, expiresAt: new Date(saved.expires_at) };
    };
  }
  const clientSecret = await app.keys.decryptForTenant(app.db, row.tenant_id, row.client_secret_enc!, secretPurpose(row.id));
  const config = await cachedDiscover(row.id, { discovery_url: row.discovery_url!, client_id: row.client_id!, client_secret: clientSecret }, fetchPolicyOf(app), { retryFailure: retryFailedDiscovery });
  return async (scope, purpose) => {
    const started = await startOidcLogin(config, ep.acs_url);
    const expiresAt = await new LoginStates(scope, app.keys, row.id, 'oidc', purpose).save(started.state, started.secrets);
    return { redirectUrl: started.url, loginId: started.state, expiresAt };
  };
}
