import type { Tx } from '../db/connection.js';
import { checkClientCredentials } from '../auth/service-accounts.js';
import { issueToken, revokeSessionsOf } from '../auth/tokens.js';
import { hashSecret, newId, newSecret } from '../crypto/secrets.js';
import { ApiError, badRequest, notFound } from '../http/errors.js';
import type { Module } from './module.js';

const TOKEN_REQUEST = {
  type: 'object',
  required: ['grant_type', 'client_id', 'client_secret'],
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

function presentAccount(r: { id: string; name: string; client_id: string; created_at: Date }) {
  return { id: r.id, name: r.name, client_id: r.client_id, created_at: new Date(r.created_at).toISOString() };
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
      async handler(ctx) {
        const sa = await checkClientCredentials(ctx.db, ctx.body.client_id, ctx.body.client_secret);
        if (!sa) throw new ApiError(401, 'invalid_client', 'client_id or client_secret is not valid', 'client_secret');
        const actor = `service_account:${sa.client_id}`;
        const token = await issueToken(ctx.db, ctx.app.keys, ctx.app.config.tokenTtlSeconds, { tenantId: sa.tenant_id, type: 'service_account', id: sa.id, actor });
        await ctx.audit({ type: 'auth.login', actor, subject: sa.id, data: { method: 'client_credentials', jti: token.jti } }, sa.tenant_id);
        const { jti: _jti, ...out } = token;
        return { body: out, headers: { 'Cache-Control': 'no-store' } };
      },
    });
    r.route({
      method: 'POST',
      path: '/api/v1/auth/revoke',
      auth: 'tenant',
      role: 'member',
      summary: 'Revoke the token this request is made with',
      tag: 'auth',
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
      body: SERVICE_ACCOUNT_CREATE,
      async handler(ctx) {
        const scope = ctx.tenant();
        const clientSecret = newSecret('cs');
        const row = { id: newId('sa'), name: ctx.body.name, client_id: newId('cl', 12), secret_hash: hashSecret(clientSecret), created_at: new Date() };
        await scope.insert('service_accounts', row);
        await ctx.audit({ type: 'service_account.created', subject: row.id, data: { client_id: row.client_id, name: row.name } });
        return { status: 201, body: { ...presentAccount(row), client_secret: clientSecret } };
      },
    });
    r.route({
      method: 'DELETE',
      path: '/api/v1/service-accounts/{id}',
      auth: 'tenant',
      summary: 'Delete a service account and revoke its tokens',
      tag: 'auth',
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
