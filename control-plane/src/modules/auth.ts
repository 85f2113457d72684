import type { Tx } from '../db/connection.js';
import { liveUntil, overlapFrom, rotationBody } from '../auth/credential-overlap.js';
import { checkClientCredentials, rotateClientSecret, type ServiceAccountRow } from '../auth/service-accounts.js';
import { recordLoginFailure } from '../auth/login-failures.js';
import { issueToken, revokeSessionsOf } from '../auth/tokens.js';
import { hashSecret, newId, newSecret } from '../crypto/secrets.js';
import { ApiError, badRequest, conflict, notFound } from '../http/errors.js';
import { markIssued } from '../http/issued-credential.js';
import type { RequestContext } from '../http/router.js';
import type { Module } from './module.js';
import { clientAddress } from '../http/client-address.js';

// client_id and client_secret may come as HTTP Basic instead (RFC 6749 §2.3.1), so the body
// requires only the grant; clientCredentials() requires the pair from one place or the other.
const TOKEN_REQUEST = {
  type: 'object',
  required: ['grant_type'],
  additionalProperties: false,
  properties: {
    grant_type: { type: 'string', enum: ['client_credentials'] },
    client_id: { type: 'string', minLength: 1, maxLength: 64 },
    client_secret: { type: 'string', minLength: 1, maxLength: 200, writeOnly: true },
  },
};

const SERVICE_ACCOUNT_CREATE = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
};

/**
 * A rotation keeps the replaced secret working for a day unless asked otherwise: a client secret
 * sits in CI variables and secret stores that are updated one by one, and a rotation that breaks
 * them all at once is one people put off. A leaked secret is rotated with 0.
 */
const SECRET_OVERLAP_FIELD = 'secret_overlap_seconds';
const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;
const SECRET_ROTATE = rotationBody(SECRET_OVERLAP_FIELD, DEFAULT_SECRET_OVERLAP_SECONDS, 'client secret');

const ACCOUNT = {
  type: 'object',
  required: ['id', 'name', 'client_id', 'created_at', 'previous_secret_expires_at'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    client_id: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    previous_secret_expires_at: { type: ['string', 'null'], format: 'date-time', description: 'Until when the secret the last rotation replaced still works; null when none does' },
  },
};
const ROTATED = {
  ...ACCOUNT,
  required: [...ACCOUNT.required, 'client_secret'],
  properties: { ...ACCOUNT.properties, client_secret: { type: 'string', description: 'The new secret, shown this once' } },
};

const CLIENT_ID_MAX = TOKEN_REQUEST.properties.client_id.maxLength;
const CLIENT_SECRET_MAX = TOKEN_REQUEST.properties.client_secret.maxLength;

const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="claresia", charset="UTF-8"' };

interface ClientCredentials {
  client_id: string;
  client_secret: string;
  /** Sent as HTTP Basic: a refusal then carries `WWW-Authenticate: Basic` (RFC 6749 §5.2). */
  basic: boolean;
}

/**
 * The client's credentials, from the body or from an `Authorization: Basic` header whose two
 * halves are each form-urlencoded (RFC 6749 §2.3.1; OAuth client libraries default to it).
 * A client must use one way only.
 */
function clientCredentials(header: string | undefined, body: { client_id?: string; client_secret?: string }): ClientCredentials {
  const basic = /^Basic(?:\s+(\S*))?\s*$/i.exec(header ?? '');
  // Only Basic authenticates a client here; another scheme (a proxy's, say) is not ours to judge.
  if (!basic) {
    if (body.client_id === undefined) throw badRequest('client_id is required (in the body or as HTTP Basic)', 'client_id', 'missing_field');
    if (body.client_secret === undefined) throw badRequest('client_secret is required (in the body or as HTTP Basic)', 'client_secret', 'missing_field');
    return { client_id: body.client_id, client_secret: body.client_secret, basic: false };
  }
  if (body.client_id !== undefined || body.client_secret !== undefined) {
    throw badRequest('send the client credentials either as HTTP Basic or in the body, not both', 'authorization', 'invalid_value');
  }
  const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  };
  const id = colon > 0 ? formDecode(decoded.slice(0, colon)) : undefined;
  const secret = colon > 0 ? formDecode(decoded.slice(colon + 1)) : undefined;
  if (!id || !secret || id.length > CLIENT_ID_MAX || secret.length > CLIENT_SECRET_MAX) {
    // RFC 6749 §5.2: client authentication that fails is invalid_client, with the challenge.
    throw new ApiError(401, 'invalid_client', 'Authorization: HTTP Basic must carry client_id:client_secret, each form-urlencoded', 'authorization', BASIC_CHALLENGE);
  }
  return { client_id: id, client_secret: secret, basic: true };
}

function presentAccount(r: { id: string; name: string; client_id: string; created_at: Date; previous_secret_expires_at?: Date | null }) {
  return { id: r.id, name: r.name, client_id: r.client_id, created_at: new Date(r.created_at).toISOString(), previous_secret_expires_at: liveUntil(r.previous_secret_expires_at) };
}

/**
 * Rotates one account's secret and records it (the overlap's end and, with 0, how many of its
 * tokens were revoked; never a secret); the answer carries the new secret once.
 */
async function rotateAccount(ctx: RequestContext, account: ServiceAccountRow, tenantId: string) {
  const overlap = overlapFrom(SECRET_ROTATE, SECRET_OVERLAP_FIELD, DEFAULT_SECRET_OVERLAP_SECONDS, ctx.body);
  const { clientSecret, previousSecretExpiresAt, sessionsRevoked } = await rotateClientSecret(ctx.db, account, overlap);
  const until = previousSecretExpiresAt ? new Date(previousSecretExpiresAt).toISOString() : null;
  const data = { client_id: account.client_id, secret_overlap_seconds: overlap, previous_secret_expires_at: until, ...(sessionsRevoked === undefined ? {} : { sessions_revoked: sessionsRevoked }) };
  await ctx.audit({ type: 'service_account.secret_rotated', subject: account.id, data }, tenantId);
  const body = { ...presentAccount({ ...account, previous_secret_expires_at: previousSecretExpiresAt }), client_secret: clientSecret };
  // An Idempotency-Key replay gives this secret again only while no later rotation has replaced it.
  return { body: markIssued(body, { kind: 'client_secret', tenantId, id: account.id, secret: clientSecret }), headers: { 'Cache-Control': 'no-store' } };
}

export const authModule: Module = {
  name: 'auth',
  routes(r) {
    r.route({
      method: 'POST',
      path: '/api/v1/auth/token',
      auth: 'none',
      summary: 'Exchange service-account client credentials for a short-lived JWT',
      tag: 'auth',
      body: TOKEN_REQUEST,
      form: true,
      alsoAccepts: ['clientBasic'],
      response: { type: 'object', required: ['access_token', 'token_type', 'expires_in'], properties: { access_token: { type: 'string' }, token_type: { const: 'Bearer' }, expires_in: { type: 'integer' } } },
      // Its own transaction, so that a refusal can be recorded after the attempt rolled back; an
      // anonymous route has no Idempotency-Key replay to lose.
      transaction: false,
      async handler(ctx) {
        let clientId: string | undefined = typeof ctx.body.client_id === 'string' ? ctx.body.client_id : undefined;
        try {
          const creds = clientCredentials(ctx.req.header('authorization'), ctx.body);
          clientId = creds.client_id;
          return await ctx.transaction(async (tx) => {
            const sa = await checkClientCredentials(tx.db, creds.client_id, creds.client_secret);
            if (!sa) {
              throw new ApiError(401, 'invalid_client', 'client_id or client_secret is not valid', creds.basic ? 'authorization' : 'client_secret', creds.basic ? BASIC_CHALLENGE : undefined);
            }
            const actor = `service_account:${sa.client_id}`;
            const token = await issueToken(tx.db, ctx.app.keys, ctx.app.config.tokenTtlSeconds, { tenantId: sa.tenant_id, type: 'service_account', id: sa.id, actor });
            // A login with the replaced secret is marked, so an admin can tell which clients have not switched yet.
            const data = { method: 'client_credentials', jti: token.jti, ...(sa.matched === 'previous' ? { secret: 'previous' } : {}) };
            await tx.audit({ type: 'auth.login', actor, subject: sa.id, data }, sa.tenant_id);
            const { jti: _jti, ...out } = token;
            return { body: out, headers: { 'Cache-Control': 'no-store' } };
          });
        } catch (err) {
          // The chain that hears of it is the tenant's whose client_id was tried, if it is one.
          const owner = clientId ? ((await ctx.db('service_accounts').where({ client_id: clientId }).first('tenant_id').catch(() => undefined)) as { tenant_id: string } | undefined) : undefined;
          await recordLoginFailure(ctx.app, { method: 'client_credentials', tenantId: owner?.tenant_id, clientId: clientId?.slice(0, 64), ip: clientAddress(ctx.req) }, err);
          throw err;
        }
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/auth/revoke',
      auth: 'tenant',
      role: 'member',
      summary: 'Revoke the token this request is made with',
      tag: 'auth',
      status: 204,
      async handler(ctx) {
        const p = ctx.principal;
        if (p.kind !== 'tenant') throw new Error('unreachable');
        await ctx.db('auth_sessions').where({ jti: p.jti }).update({ revoked_at: new Date() });
        await ctx.audit({ type: 'auth.token_revoked', subject: p.subjectId, data: { jti: p.jti } });
        return { status: 204 };
      },
    });

    r.route({
      method: 'GET',
      path: '/api/v1/service-accounts',
      auth: 'tenant',
      summary: "List the tenant's service accounts",
      tag: 'auth',
      response: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ACCOUNT } } },
      async handler(ctx) {
        const rows = await ctx.tenant().table('service_accounts').whereNull('revoked_at').orderBy('created_at');
        return { body: { items: rows.map(presentAccount) } };
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/service-accounts',
      auth: 'tenant',
      summary: 'Create a service account; its client_secret is returned once',
      tag: 'auth',
      status: 201,
      response: ROTATED,
      body: SERVICE_ACCOUNT_CREATE,
      async handler(ctx) {
        const scope = ctx.tenant();
        const clientSecret = newSecret('cs');
        const row = { id: newId('sa'), name: ctx.body.name, client_id: newId('cl', 12), secret_hash: hashSecret(clientSecret), created_at: new Date() };
        await scope.insert('service_accounts', row);
        await ctx.audit({ type: 'service_account.created', subject: row.id, data: { client_id: row.client_id, name: row.name } });
        // An Idempotency-Key replay gives this secret again only while no rotation has replaced it.
        const body = markIssued({ ...presentAccount(row), client_secret: clientSecret }, { kind: 'client_secret', tenantId: scope.tenantId, id: row.id, secret: clientSecret, created: 'object' });
        return { status: 201, body };
      },
    });
    r.route({
      method: 'GET',
      path: '/api/v1/service-accounts/{id}',
      auth: 'tenant',
      summary: 'Read a service account (never its secret); previous_secret_expires_at tells until when a replaced secret still works',
      tag: 'auth',
      response: ACCOUNT,
      async handler(ctx) {
        const row = await ctx.tenant().table('service_accounts').where({ id: ctx.params.id }).whereNull('revoked_at').first();
        if (!row) throw notFound(`service account ${ctx.params.id!.slice(0, 100)}`, 'id');
        return { body: presentAccount(row) };
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/service-accounts/{id}/secret:rotate',
      auth: 'tenant',
      summary:
        "Issue a new client_secret (returned once); the replaced one keeps working for secret_overlap_seconds (default 86400), then stops; 0, for a leaked secret, stops it at once and revokes the account's tokens",
      tag: 'auth',
      accepts: { content: { 'application/json': SECRET_ROTATE }, optional: true },
      response: ROTATED,
      async handler(ctx) {
        const scope = ctx.tenant();
        const row = (await scope.table('service_accounts').where({ id: ctx.params.id }).whereNull('revoked_at').forUpdate().first()) as ServiceAccountRow | undefined;
        if (!row) throw notFound(`service account ${ctx.params.id!.slice(0, 100)}`, 'id');
        return rotateAccount(ctx, row, scope.tenantId);
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/tenants/{id}/client-secret:rotate',
      auth: 'operator',
      summary:
        "Issue a new client_secret for the tenant's client_id (its first service account, created with the tenant), returned once; the replaced one keeps working for secret_overlap_seconds (default 86400); 0 stops it at once and revokes the account's tokens",
      tag: 'auth',
      accepts: { content: { 'application/json': SECRET_ROTATE }, optional: true },
      response: ROTATED,
      async handler(ctx) {
        const tenant = (await ctx.db('tenants').where({ id: ctx.params.id }).forUpdate().first('id', 'status')) as { id: string; status: string } | undefined;
        if (!tenant) throw notFound(`tenant ${ctx.params.id!.slice(0, 100)}`, 'id');
        if (tenant.status === 'offboarded') throw conflict(`tenant ${tenant.id} has been offboarded; it has no credentials to rotate`, 'id');
        // The pair the tenant was created with and reports as its client_id; the operator does not
        // reach the accounts the tenant made itself.
        const first = (await ctx.db('service_accounts').where({ tenant_id: tenant.id }).orderBy('created_at').forUpdate().first()) as ServiceAccountRow | undefined;
        if (!first || first.revoked_at) {
          throw conflict(`the service account created with tenant ${tenant.id} has been deleted; a tenant_admin rotates the others at POST /api/v1/service-accounts/{id}/secret:rotate`, 'client_id');
        }
        return rotateAccount(ctx, first, tenant.id);
      },
    });
    r.route({
      method: 'DELETE',
      path: '/api/v1/service-accounts/{id}',
      auth: 'tenant',
      summary: 'Delete a service account and revoke its tokens',
      tag: 'auth',
      status: 204,
      async handler(ctx) {
        const scope = ctx.tenant();
        const row = await scope.table('service_accounts').where({ id: ctx.params.id }).whereNull('revoked_at').forUpdate().first();
        if (!row) throw notFound(`service account ${ctx.params.id}`, 'id');
        const live = await scope.table('service_accounts').whereNull('revoked_at').count<{ n: number }[]>({ n: '*' });
        if (Number(live[0]!.n) <= 1) throw badRequest('the last service account of a tenant cannot be deleted', 'id', 'last_service_account');
        await scope.table('service_accounts').where({ id: row.id }).update({ revoked_at: new Date() });
        const revoked = await revokeSessionsOf(ctx.db as Tx, scope.tenantId, 'service_account', row.id);
        await ctx.audit({ type: 'service_account.deleted', subject: row.id, data: { client_id: row.client_id, sessions_revoked: revoked } });
        return { status: 204 };
      },
    });
  },
};
