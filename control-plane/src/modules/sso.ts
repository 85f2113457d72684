import type express from 'express';
import type { Request } from 'express';
import { normalizeObject, resourceByName } from '@claresia/catalog';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvent } from '../audit/chain.js';
import { newId } from '../crypto/secrets.js';
import { ApiError, badRequest, conflict } from '../http/errors.js';
import { enforceRules } from '../http/validate.js';
import { expressPath, type Reply, type RequestContext } from '../http/router.js';
import { pageById, parseListQuery } from '../http/list-query.js';
import { connectionForIdp, loadConnection, present, secretPurpose, TABLE, type ConnectionRow } from '../sso/connections.js';
import { EMAIL_NOT_VERIFIED } from '../sso/email-verified.js';
import { loginFailed } from '../sso/errors.js';
import { LoginStates, type LoginPurpose } from '../sso/login-state.js';
import { finishOidcLogin } from '../sso/oidc.js';
import { cachedDiscover } from '../sso/discovery-cache.js';
import { fetchPolicyOf, prepareLogin, type LoginStarter } from '../sso/begin.js';
import { completeUserLogin } from '../auth/user-login.js';
import { recordLoginFailure } from '../auth/login-failures.js';
import { revokeSessionsOfConnection } from '../auth/sessions.js';
import { addsCertificatesOnly } from '../sso/certificate.js';
import { requireGroups, type SsoProfile } from '../sso/profile.js';
import { redeemAssertion } from '../sso/used-assertions.js';
import { finishSamlLogin } from '../sso/saml.js';
import { OIDC_FIELDS, resolveSettings, SAML_FIELDS, type IdpSettings } from '../sso/settings.js';
import { spEndpoints } from '../sso/urls.js';
import type { Module } from './module.js';
import { clientAddress } from '../http/client-address.js';
import { spendRequest } from '../http/rate-limit.js';
import { LOGIN_STARTED } from '../http/openapi-sso.js';

const def = resourceByName('sso_connection');
const BASE = '/api/v1/identity/sso/connections/{id}';
const ACS = `${BASE}/saml/acs`;
const CALLBACK = `${BASE}/oidc/callback`;
const IDP_FIELDS = [...SAML_FIELDS, ...OIDC_FIELDS] as const;

const ACS_BODY = {
  type: 'object',
  required: ['SAMLResponse'],
  properties: { SAMLResponse: { type: 'string', minLength: 1, maxLength: 1024 * 1024 }, RelayState: { type: 'string', maxLength: 1000 } },
};

async function storedSettings(ctx: RequestContext, row: ConnectionRow): Promise<IdpSettings> {
  return {
    metadata_url: row.metadata_url,
    metadata_xml: row.metadata_xml,
    idp_sso_url: row.idp_sso_url,
    idp_certificate: row.idp_certificate,
    idp_entity_id: row.idp_entity_id,
    discovery_url: row.discovery_url,
    client_id: row.client_id,
    client_secret: row.client_secret_enc ? await ctx.app.keys.decryptForTenant(ctx.db, row.tenant_id, row.client_secret_enc, secretPurpose(row.id)) : null,
  };
}

async function sealSettings(ctx: RequestContext, tenantId: string, id: string, s: IdpSettings) {
  const { client_secret, ...rest } = s;
  return { ...rest, client_secret_enc: client_secret ? await ctx.app.keys.encryptForTenant(ctx.db, tenantId, client_secret, secretPurpose(id)) : null };
}

interface PreparedCreate {
  body: Record<string, any>;
  settings: IdpSettings;
}

/** The IdP's metadata or discovery document is read before the create's transaction opens. */
async function prepareCreate(ctx: RequestContext): Promise<PreparedCreate> {
  const body = normalizeObject(def.attributes, ctx.body) as Record<string, any>;
  const patch = Object.fromEntries(IDP_FIELDS.map((f) => [f, body[f] ?? null])) as unknown as IdpSettings;
  return { body, settings: await resolveSettings(body.protocol, patch, fetchPolicyOf(ctx.app)) };
}

async function create(ctx: RequestContext) {
  const scope = ctx.tenant();
  const { body, settings } = ctx.prepared as PreparedCreate;
  const id = newId('sso');
  const now = new Date();
  const row = { id, name: body.name, protocol: body.protocol, ...(await sealSettings(ctx, scope.tenantId, id, settings)), status: 'untested', last_tested_at: null, created_at: now, updated_at: now };
  await scope.insert(TABLE, row);
  await ctx.audit({ type: 'connector.added', subject: id, data: { kind: 'sso', protocol: body.protocol, connection_id: id, name: body.name } });
  const stored = await loadConnection(scope, id);
  return { status: 201, body: present(stored, ctx.app.publicUrl()), headers: { Location: `/api/v1/identity/sso/connections/${id}` } };
}

/** The stored columns an update's new IdP settings were derived from. */
const IDP_COLUMNS = ['metadata_url', 'metadata_xml', 'idp_sso_url', 'idp_certificate', 'idp_entity_id', 'discovery_url', 'client_id', 'client_secret_enc'] as const;

interface PreparedUpdate {
  patch: Record<string, any>;
  /** The connection as read before the IdP was consulted. */
  read: ConnectionRow;
  /** Present when the request touches IdP settings: the stored ones and the checked new ones. */
  idp?: { stored: IdpSettings; settings: IdpSettings };
}

/** New IdP settings are checked against the IdP (metadata, discovery) before the transaction opens. */
async function prepareUpdate(ctx: RequestContext): Promise<PreparedUpdate> {
  const read = await loadConnection(ctx.tenant(), ctx.params.id!);
  const patch = normalizeObject(def.attributes, ctx.body) as Record<string, any>;
  if (patch.name === null) throw badRequest('name cannot be null', 'name', 'invalid_value');
  const touched = IDP_FIELDS.filter((f) => patch[f] !== undefined);
  if (!touched.length) return { patch, read };
  const stored = await storedSettings(ctx, read);
  const merged = { ...stored } as IdpSettings;
  for (const f of touched) (merged as unknown as Record<string, unknown>)[f] = patch[f];
  // The connection as it would be, against the catalog's rules; only what this request sent
  // can be refused, since stored settings read from metadata are not the caller's.
  enforceRules(def, { ...merged, protocol: read.protocol }, Object.fromEntries(touched.map((f) => [f, patch[f]])));
  return { patch, read, idp: { stored, settings: await resolveSettings(read.protocol, merged, fetchPolicyOf(ctx.app)) } };
}

/**
 * Whether a tested connection stays tested after an IdP-setting change: only when the change
 * adds signing certificates (an IdP announcing its next key before it signs with it) and leaves
 * everything else as it was, so every assertion the tested settings accepted is still accepted
 * and nothing is trusted that a test has not shown to be the IdP's. Anything else needs a test.
 */
function stillTrusted(stored: IdpSettings, settings: IdpSettings): boolean {
  return (
    settings.idp_sso_url === stored.idp_sso_url &&
    settings.idp_entity_id === stored.idp_entity_id &&
    stored.idp_certificate !== null &&
    settings.idp_certificate !== null &&
    addsCertificatesOnly(stored.idp_certificate, settings.idp_certificate)
  );
}

async function update(ctx: RequestContext) {
  const scope = ctx.tenant();
  const { patch, read, idp } = ctx.prepared as PreparedUpdate;
  const before = await loadConnection(scope, read.id, true);
  // The new settings were merged over what was stored then; writing them over someone else's
  // change made meanwhile would silently undo it.
  if (idp && IDP_COLUMNS.some((c) => before[c] !== read[c])) {
    throw conflict(`sso connection ${read.id} had its IdP settings changed by another request meanwhile; read it and send the change again`, 'id');
  }
  const changes: Record<string, unknown> = {};
  if (patch.name !== undefined && patch.name !== before.name) changes.name = { from: before.name, to: patch.name };
  let columns: Record<string, unknown> = {};
  if (idp) {
    const { stored, settings } = idp;
    for (const f of IDP_FIELDS) {
      if (settings[f] === stored[f]) continue;
      // The secret is recorded as changed, never by value.
      changes[f] = f === 'client_secret' ? 'changed' : f === 'metadata_xml' || f === 'idp_certificate' ? 'changed' : { from: stored[f], to: settings[f] };
    }
    if (Object.keys(changes).some((k) => k !== 'name')) {
      const keepsGreen = before.status === 'green' && stillTrusted(stored, settings);
      columns = { ...(await sealSettings(ctx, before.tenant_id, before.id, settings)), status: keepsGreen ? 'green' : 'untested' };
    }
  }
  if (Object.keys(changes).length) {
    await scope.table(TABLE).where({ id: before.id }).update({ ...columns, ...(changes.name ? { name: patch.name } : {}), updated_at: new Date() });
    // What the old settings vouched for is not vouched for by the new ones, which no test has passed yet.
    const revoked = columns.status === 'untested' ? await revokeSessionsOfConnection(ctx.db, before.tenant_id, before.id) : 0;
    await ctx.audit({
      type: 'connector.changed',
      subject: before.id,
      data: { kind: 'sso', protocol: before.protocol, changes, ...(columns.status ? { status: columns.status, sessions_revoked: revoked } : {}) },
    });
  }
  return { body: present(await loadConnection(scope, before.id), ctx.app.publicUrl()) };
}

async function remove(ctx: RequestContext) {
  const scope = ctx.tenant();
  const row = await loadConnection(scope, ctx.params.id!, true);
  await scope.table('sso_login_states').where({ connection_id: row.id }).delete();
  await scope.table(TABLE).where({ id: row.id }).delete();
  const revoked = await revokeSessionsOfConnection(ctx.db, scope.tenantId, row.id);
  await ctx.audit({ type: 'connector.removed', subject: row.id, data: { kind: 'sso', protocol: row.protocol, name: row.name, sessions_revoked: revoked } });
  return { status: 204 };
}

async function list(ctx: RequestContext) {
  return { body: await pageById<ConnectionRow, unknown>(ctx.tenant().table(TABLE), parseListQuery(ctx.query), (r) => present(r, ctx.app.publicUrl())) };
}

interface PreparedTest {
  row: ConnectionRow;
  start: LoginStarter;
}

async function prepareTest(ctx: RequestContext): Promise<PreparedTest> {
  const row = await loadConnection(ctx.tenant(), ctx.params.id!);
  // The admin may just have fixed the IdP: a discovery failure kept for sign-ins is no answer.
  return { row, start: await prepareLogin(ctx.app, row, { retryFailedDiscovery: true }) };
}

/** Starts a real test login: the URL to send the admin's browser to. */
async function startTest(ctx: RequestContext) {
  const scope = ctx.tenant();
  const { row: read, start } = ctx.prepared as PreparedTest;
  // Still there, and not deleted until this login's state is written.
  const row = await loadConnection(scope, read.id, true);
  const begun = await start(scope, 'test');
  await ctx.audit({ type: 'sso.test_started', subject: row.id, data: { protocol: row.protocol, login_id: begun.loginId } });
  return { status: 201, body: { connection_id: row.id, protocol: row.protocol, redirect_url: begun.redirectUrl, login_id: begun.loginId, expires_at: begun.expiresAt.toISOString() } };
}

/** A validated answer turns the connection green; the login is recorded as `auth.login`. */
async function markGreen(trx: Tx, app: AppContext, row: ConnectionRow, profile: SsoProfile, loginId: string) {
  requireGroups(profile);
  // A test that users with this answer would fail must not pass either.
  if (profile.emailVerified === false) throw new ApiError(403, EMAIL_NOT_VERIFIED.code, `test login refused: ${EMAIL_NOT_VERIFIED.message}`, 'email');
  const now = new Date();
  await new TenantScope(trx, row.tenant_id).table(TABLE).where({ id: row.id }).update({ status: 'green', last_tested_at: now, updated_at: now });
  await appendEvent(trx, app.keys, row.tenant_id, {
    type: 'auth.login',
    actor: `sso:${profile.email}`,
    subject: row.id,
    data: { method: 'sso_test', protocol: row.protocol, connection_id: row.id, login_id: loginId, email: profile.email, groups: profile.groups },
  });
  return {
    connection_id: row.id,
    status: 'green',
    user: { subject: profile.subject, email: profile.email, first_name: profile.firstName, last_name: profile.lastName, groups: profile.groups },
  };
}

/**
 * The connection an IdP's answer was validated against, locked for the rest of the sign-in and
 * still as it was: settings changed meanwhile are not the ones a test has shown to work (and
 * their change revoked what the old ones issued), so the answer is refused.
 */
async function unchangedConnection(trx: Tx, read: ConnectionRow, purpose: LoginPurpose): Promise<ConnectionRow> {
  const row = await connectionForIdp(trx, read.id, read.protocol, true);
  if (IDP_COLUMNS.some((c) => row[c] !== read[c])) {
    throw new ApiError(409, 'connection_changed', `sso connection ${row.id} had its IdP settings changed during this sign-in; start it again`, 'id');
  }
  if (purpose === 'login' && row.status !== 'green') {
    throw new ApiError(409, 'connection_not_active', `sso connection ${row.id} is ${row.status}: an admin must complete a test login before users sign in through it`, 'id');
  }
  return row;
}

async function acceptSamlResponse(trx: Tx, app: AppContext, read: ConnectionRow, samlResponse: string) {
  const scope = new TenantScope(trx, read.tenant_id);
  const ep = spEndpoints(app.publicUrl(), read.id, read.protocol);
  const states = new LoginStates(scope, app.keys, read.id, 'saml');
  const { profile, requestId, assertion } = await finishSamlLogin({ idp_sso_url: read.idp_sso_url!, idp_certificate: read.idp_certificate!, idp_entity_id: read.idp_entity_id!, ...ep }, states.samlCache(), samlResponse);
  // One answer per request: a copy of the response posted alongside finds the state taken.
  const purpose = await states.consumeSaml(requestId);
  if (!purpose) throw loginFailed('invalid_in_response_to', 'this login was already completed', 'SAMLResponse');
  const row = await unchangedConnection(trx, read, purpose);
  // And one sign-in per assertion, whatever Response it arrives in.
  if (!(await redeemAssertion(scope, row.id, assertion))) {
    throw loginFailed('assertion_already_used', 'this assertion was already used to sign in; each sign-in needs a new one from the IdP', 'SAMLResponse');
  }
  if (purpose === 'login') return completeUserLogin(trx, app, row, profile, requestId);
  return { body: await markGreen(trx, app, row, profile, requestId) };
}

/** A refused IdP answer is recorded (see recordLoginFailure) against the connection it was sent to, if there is one. */
async function recordIdpAnswerFailure(app: AppContext, req: Request, protocol: 'saml' | 'oidc', err: unknown): Promise<void> {
  const id = String(req.params.id ?? '');
  const row = (await app.db<ConnectionRow>(TABLE).where({ id, protocol }).first('id', 'tenant_id').catch(() => undefined)) as Pick<ConnectionRow, 'id' | 'tenant_id'> | undefined;
  await recordLoginFailure(app, { method: protocol, tenantId: row?.tenant_id, connectionId: row?.id ?? id.slice(0, 64), ip: clientAddress(req) }, err);
}

/**
 * Runs without the router's transaction so that a refusal can still be recorded: the
 * validation, the state and the sign-in share a transaction of their own, which a failure rolls
 * back, and the failure is then written on its own.
 */
async function samlAcs(ctx: RequestContext<{ SAMLResponse: string }>) {
  try {
    const read = await connectionForIdp(ctx.db, ctx.params.id!, 'saml');
    return await ctx.transaction((tx) => acceptSamlResponse(tx.db as Tx, ctx.app, read, ctx.body.SAMLResponse));
  } catch (err) {
    await recordIdpAnswerFailure(ctx.app, ctx.req, 'saml', err);
    throw err;
  }
}

/**
 * The IdP redirects the browser here with a GET. The network exchange with the IdP happens
 * outside any transaction; the state is consumed and the result written in one transaction
 * afterwards, so a state can be redeemed once and a failure writes nothing.
 */
async function oidcCallback(app: AppContext, req: Request): Promise<Reply> {
  const id = String(req.params.id);
  const state = typeof req.query.state === 'string' ? req.query.state : '';
  if (!state) throw badRequest('state is required', 'state', 'missing_field');
  const { row, secrets, clientSecret, purpose } = await app.db.transaction(async (trx) => {
    const row = await connectionForIdp(trx, id, 'oidc');
    const pending = await new TenantScope(trx, row.tenant_id).table('sso_login_states').where({ id: state, connection_id: row.id, protocol: 'oidc' }).first();
    if (!pending || new Date(pending.expires_at) <= new Date()) throw loginFailed('invalid_state', 'state does not belong to a live login of this connection', 'state');
    const secrets = JSON.parse(await app.keys.decryptForTenant(trx, row.tenant_id, pending.secrets_enc, `sso_login_state:${state}`)) as { code_verifier: string; nonce: string };
    const clientSecret = await app.keys.decryptForTenant(trx, row.tenant_id, row.client_secret_enc!, secretPurpose(row.id));
    return { row: row as ConnectionRow, secrets, clientSecret, purpose: pending.purpose as LoginPurpose };
  });
  const ep = spEndpoints(app.publicUrl(), row.id, 'oidc');
  const config = await cachedDiscover(row.id, { discovery_url: row.discovery_url!, client_id: row.client_id!, client_secret: clientSecret }, fetchPolicyOf(app));
  const current = new URL(ep.acs_url);
  current.search = new URL(req.originalUrl, 'http://x').search;
  const profile = await finishOidcLogin(config, current, { state, ...secrets });
  return app.db.transaction(async (trx) => {
    const taken = await new LoginStates(new TenantScope(trx, row.tenant_id), app.keys, row.id, 'oidc').take(state);
    if (!taken) throw loginFailed('invalid_state', 'this login was already completed', 'state');
    const current = await unchangedConnection(trx, row, purpose);
    if (purpose === 'login') return completeUserLogin(trx, app, current, profile, state);
    return { body: await markGreen(trx, app, current, profile, state) };
  });
}

export const ssoModule: Module = {
  name: 'sso',
  mount(server: express.Express, app: AppContext) {
    // The callback lives outside the router, so it spends its caller's address budget itself,
    // as every route without a token does: anyone can call it, and each call costs a state
    // lookup, a log line and possibly a fetch from the IdP.
    server.get(expressPath(CALLBACK), async (req, res) => {
      res.setHeader('Cache-Control', 'no-store');
      await spendRequest(app, req, res, 'address');
      const reply = await oidcCallback(app, req).catch(async (err: unknown) => {
        await recordIdpAnswerFailure(app, req, 'oidc', err);
        throw err;
      });
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
      res.status(reply.status ?? 200).json(reply.body);
    });
  },
  routes(r) {
    const tag = 'sso_connection';
    r.resource(
      def,
      {
        create,
        list,
        read: async (ctx) => ({ body: present(await loadConnection(ctx.tenant(), ctx.params.id!), ctx.app.publicUrl()) }),
        update,
        delete: remove,
      },
      { create: { prepare: prepareCreate }, update: { prepare: prepareUpdate } },
    );
    r.route({
      method: 'POST',
      path: `${BASE}/test`,
      auth: 'tenant',
      summary: 'Start a test login: returns the URL to open in a browser; the IdP answers to acs_url',
      tag,
      status: 201,
      response: LOGIN_STARTED,
      prepare: prepareTest,
      handler: startTest,
    });
    r.route({
      method: 'POST',
      path: ACS,
      auth: 'none',
      summary:
        "SAML Assertion Consumer Service: validates the IdP's response, then marks the connection green (test login) or returns a user JWT (sign-in); each signed assertion is accepted once. A refusal is recorded as auth.login_failed",
      tag,
      body: ACS_BODY,
      form: true,
      // Its own transaction (see samlAcs); an anonymous route has no Idempotency-Key replay to lose.
      transaction: false,
      handler: samlAcs,
    });
  },
};
