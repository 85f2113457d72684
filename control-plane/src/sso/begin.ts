import type { AppContext } from '../context.js';
import type { TenantScope } from '../db/tenant-scope.js';
import type { FetchPolicy } from '../net/guarded-fetch.js';
import { secretPurpose, type ConnectionRow } from './connections.js';
import { LoginStates, type LoginPurpose } from './login-state.js';
import { discover, startOidcLogin } from './oidc.js';
import { startSamlLogin } from './saml.js';
import { spEndpoints } from './urls.js';

export const fetchPolicyOf = (app: AppContext): FetchPolicy => ({ allowPrivate: app.config.allowPrivateUrls === true });

export interface BegunLogin {
  redirectUrl: string;
  /** The SAML request id or the OIDC state: what the IdP's answer must carry back. */
  loginId: string;
  expiresAt: Date;
}

/**
 * Starts an SP-initiated login through a connection (AuthnRequest, or authorization request
 * with PKCE) and records its state with its purpose, so the one ACS / callback URL the IdP
 * knows can tell an admin's test from a user signing in.
 */
export async function beginLogin(app: AppContext, scope: TenantScope, row: ConnectionRow, purpose: LoginPurpose): Promise<BegunLogin> {
  const ep = spEndpoints(app.publicUrl(), row.id, row.protocol);
  if (row.protocol === 'saml') {
    const states = new LoginStates(scope, app.keys, row.id, 'saml', purpose);
    const started = await startSamlLogin(
      { idp_sso_url: row.idp_sso_url!, idp_certificate: row.idp_certificate!, idp_entity_id: row.idp_entity_id!, ...ep },
      states.samlCache(),
      row.id,
    );
    const saved = await scope.table('sso_login_states').where({ id: started.requestId }).first('expires_at');
    return { redirectUrl: started.url, loginId: started.requestId, expiresAt: new Date(saved.expires_at) };
  }
  const clientSecret = await app.keys.decryptForTenant(scope.db, row.tenant_id, row.client_secret_enc!, secretPurpose(row.id));
  const config = await discover({ discovery_url: row.discovery_url!, client_id: row.client_id!, client_secret: clientSecret }, fetchPolicyOf(app));
  const started = await startOidcLogin(config, ep.acs_url);
  const expiresAt = await new LoginStates(scope, app.keys, row.id, 'oidc', purpose).save(started.state, started.secrets);
  return { redirectUrl: started.url, loginId: started.state, expiresAt };
}
