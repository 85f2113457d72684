import * as client from 'openid-client';
import { checkOutboundUrl, fetchWithPolicy, OutboundError, type FetchPolicy } from '../net/guarded-fetch.js';
import { badRequest } from '../http/errors.js';
import { loginFailed, outboundProblem } from './errors.js';
import { idpText } from './idp-text.js';
import { emailVerifiedClaim } from './email-verified.js';
import { requireProfile, type SsoProfile } from './profile.js';

export interface OidcSettings {
  discovery_url: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

const SCOPES = ['openid', 'email', 'profile', 'groups'];

/**
 * Reads the IdP's discovery document through the SSRF guard and sets up the client. Every
 * later request to the IdP (token, userinfo, keys) goes through the same guard.
 */
export async function discover(s: Pick<OidcSettings, 'discovery_url' | 'client_id' | 'client_secret'>, policy: FetchPolicy): Promise<client.Configuration> {
  let url: URL;
  try {
    url = checkOutboundUrl(s.discovery_url, policy);
  } catch (err) {
    throw outboundProblem(err, 'discovery_url', 'discovery document');
  }
  const fetcher = fetchWithPolicy(policy) as unknown as client.CustomFetch;
  const insecure = url.protocol === 'http:' ? [client.allowInsecureRequests] : [];
  let config: client.Configuration;
  try {
    config = await client.discovery(url, s.client_id, undefined, client.ClientSecretBasic(s.client_secret), { [client.customFetch]: fetcher, execute: insecure });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (err instanceof OutboundError || cause instanceof OutboundError) throw outboundProblem(err instanceof OutboundError ? err : cause, 'discovery_url', 'discovery document');
    throw badRequest(`discovery_url does not serve a valid OpenID Connect discovery document for its issuer${discoveryAnswer(err)}`, 'discovery_url', 'invalid_discovery');
  }
  const meta = config.serverMetadata();
  const methods = meta.token_endpoint_auth_methods_supported;
  // Basic is the default the spec gives; some IdPs only take the secret in the form body.
  if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
    config = new client.Configuration(meta, s.client_id, undefined, client.ClientSecretPost(s.client_secret));
    for (const f of insecure) f(config);
  }
  config[client.customFetch] = fetcher;
  return config;
}

/** The authorization request with PKCE (S256), a state and a nonce; the caller stores the secrets. */
export async function startOidcLogin(config: client.Configuration, redirectUri: string) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const supported = config.serverMetadata().scopes_supported;
  const scope = SCOPES.filter((s) => s === 'openid' || !supported || supported.includes(s)).join(' ');
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    response_type: 'code',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url: url.href, state, secrets: { code_verifier: verifier, nonce } };
}

/** The IdP's error code with its own explanation, which is what tells an admin what to fix (Entra's AADSTS codes). */
function idpReason(error: unknown, description: unknown): string {
  const text = idpText(description);
  return text ? `${idpText(error, 64)}: ${text}` : idpText(error, 64);
}

function classify(err: unknown): { code: string; message: string; field?: string } {
  if (err instanceof client.AuthorizationResponseError) return { code: 'idp_error', message: `the IdP refused the login (${idpReason(err.error, err.error_description)})`, field: 'error' };
  if (err instanceof client.ResponseBodyError) return { code: 'token_exchange_failed', message: `the IdP refused the authorization code (${idpReason(err.error, err.error_description)})` };
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    return { code: 'token_exchange_failed', message: `the IdP refused the client credentials (${challenge?.parameters.error ?? `HTTP ${err.status}`})` };
  }
  if (err instanceof OutboundError) return { code: 'fetch_failed', message: `the IdP ${err.message}` };
  const code = (err as { code?: string }).code ?? '';
  if (/JWT|CLAIM|SIGNATURE|NONCE/i.test(code)) return { code: 'invalid_id_token', message: 'the ID token failed validation (signature, issuer, audience, nonce or time)' };
  return { code: 'oidc_login_failed', message: 'the OpenID Connect answer could not be validated' };
}

/**
 * Redeems the code with the stored PKCE verifier and checks the ID token (signature, issuer,
 * audience, nonce, time) through openid-client, then reads the user's claims.
 */
export async function finishOidcLogin(
  config: client.Configuration,
  callbackUrl: URL,
  expected: { state: string; code_verifier: string; nonce: string },
): Promise<SsoProfile> {
  // An error answer grants nothing, so it is reported as the IdP gave it even when it lacks
  // what a success must carry (oidc-provider and others omit iss on some errors).
  const error = callbackUrl.searchParams.get('error');
  if (error !== null && !callbackUrl.searchParams.has('code')) {
    throw loginFailed('idp_error', `the IdP refused the login (${idpReason(error, callbackUrl.searchParams.get('error_description'))})`, 'error');
  }
  let claims: Record<string, unknown>;
  try {
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: expected.code_verifier,
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims()!;
    const userinfo = config.serverMetadata().userinfo_endpoint ? await client.fetchUserInfo(config, tokens.access_token, idClaims.sub) : {};
    claims = { ...userinfo, ...idClaims };
  } catch (err) {
    const c = classify(err);
    throw loginFailed(c.code, c.message, c.field ?? 'code');
  }
  const profile = requireProfile(String(claims.sub), claims, 'OpenID Connect claims');
  const verified = emailVerifiedClaim(claims);
  return verified === undefined ? profile : { ...profile, emailVerified: verified };
}

/**
 * What the IdP answered instead of a usable document, for the admin reading the error: an HTTP
 * status says the IdP is down or the path is wrong, which a bare "not valid" does not. Only the
 * status and the content type: the body is the IdP's and may be anything.
 */
function discoveryAnswer(err: unknown): string {
  // Duck-typed: the guarded fetch's answer need not be this realm's Response.
  const res = (err as { cause?: { status?: unknown; ok?: unknown; headers?: { get?: unknown } } }).cause;
  if (!res || typeof res.status !== 'number' || typeof res.headers?.get !== 'function') return '';
  const answer = res as unknown as Response;
  if (!answer.ok) return ` (it answered HTTP ${answer.status}${answer.status >= 500 ? ': the IdP may be down; try again later' : ''})`;
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  return type && type !== 'application/json' ? ` (it answered ${type.slice(0, 60)}, not JSON)` : '';
}
