import { TenantScope } from '../db/tenant-scope.js';
import { refuseOffboardedTenant } from '../auth/tenant-status.js';
import { ApiError, notFound } from '../http/errors.js';
import type { RequestContext } from '../http/router.js';
import { subjectAccess } from '../rbac/access.js';
import { prepareLogin, type LoginStarter } from '../sso/begin.js';
import { loginStartsPerMinute, makeRoomForLoginStart } from '../sso/login-start-limit.js';
import { TABLE as SSO_TABLE, type ConnectionRow } from '../sso/connections.js';
import { appliedPacks, blockedBy, entitlements } from '../skills/entitlements.js';
import type { Module } from './module.js';
import { meSchema } from '../auth/openapi.js';
import { LOGIN_STARTED } from '../http/openapi-sso.js';

/**
 * A person signs in through one of the tenant's SSO connections: the browser is sent to the
 * IdP, whose answer arrives at the connection's ACS / callback (the same URL the test login
 * uses) and ends in a user JWT there. The connection must have passed a test login (status
 * green): an untested connection is not trusted to vouch for users. Anyone may call this, so
 * the IdP is consulted before the transaction opens (see prepareLogin).
 */
async function prepareStart(ctx: RequestContext): Promise<PreparedStart> {
  const row = (await ctx.db<ConnectionRow>(SSO_TABLE).where({ id: ctx.params.connection_id }).first()) as ConnectionRow | undefined;
  if (!row) throw notFound(`sso connection ${ctx.params.connection_id}`, 'connection_id');
  await refuseOffboardedTenant(ctx.db, row.tenant_id, 'connection_id');
  if (row.status !== 'green') {
    throw new ApiError(409, 'connection_not_active', `sso connection ${row.id} is ${row.status}: an admin must complete a test login (POST .../${row.id}/test) before users sign in through it`, 'connection_id');
  }
  return { row, start: await prepareLogin(ctx.app, row) };
}

interface PreparedStart {
  row: ConnectionRow;
  start: LoginStarter;
}

async function startLogin(ctx: RequestContext) {
  const { row, start } = ctx.prepared as PreparedStart;
  // Kept from being deleted until the state is written; a connection gone meanwhile is a 404, not
  // a broken reference. Exclusive among starts, so the room made below is exact.
  if (!(await ctx.db(SSO_TABLE).where({ id: row.id }).forNoKeyUpdate().first('id'))) throw notFound(`sso connection ${row.id}`, 'connection_id');
  const scope = new TenantScope(ctx.db, row.tenant_id);
  await makeRoomForLoginStart(scope, row.id, loginStartsPerMinute(ctx.app.config.ssoLoginStartsPerMinute));
  const begun = await start(scope, 'login');
  return {
    status: 302,
    headers: { Location: begun.redirectUrl, 'Cache-Control': 'no-store' },
    body: { connection_id: row.id, protocol: row.protocol, redirect_url: begun.redirectUrl, login_id: begun.loginId, expires_at: begun.expiresAt.toISOString() },
  };
}

/** The caller's own view: who they are, their role, archetypes and the skills they hold. */
async function me(ctx: RequestContext) {
  const p = ctx.principal;
  if (p.kind !== 'tenant') throw new Error('unreachable');
  if (p.subjectType !== 'user') return { body: { subject_type: p.subjectType, subject_id: p.subjectId, actor: p.actor, role: p.role } };
  const scope = ctx.tenant();
  const access = await subjectAccess(ctx.db, p.tenantId, p.subjectId);
  const member = (await scope
    .table('roster_members')
    .where((q) => {
      q.where('scim_user_id', p.subjectId).orWhere('id', p.subjectId);
      if (access.email) q.orWhere('email', access.email);
    })
    .orderByRaw('active DESC')
    .first('id', 'archetype', 'active')) as { id: string; archetype: string | null; active: boolean } | undefined;
  const groups = ((await scope
    .table('scim_group_members as m')
    .join('scim_groups as g', 'g.id', 'm.group_id')
    .where('m.user_id', p.subjectId)
    .orderBy('g.display_name_lower')
    .select('g.display_name')) as Array<{ display_name: string }>).map((g) => g.display_name);
  const archetypes = [...new Set([...(member?.active && member.archetype ? [member.archetype] : []), ...access.grantedArchetypes])].sort();
  const blocked = blockedBy(await appliedPacks(scope));
  const sets = new Map((await entitlements(scope)).map((e) => [e.archetype, e.skills]));
  const skills = [...new Set(archetypes.flatMap((a) => sets.get(a) ?? []).filter((s) => !blocked.has(s)))].sort();
  return { body: { subject_type: 'user', subject_id: p.subjectId, email: access.email, role: p.role, groups, archetypes, skills } };
}

export const userLoginModule: Module = {
  name: 'user-login',
  routes(r) {
    r.route({
      method: 'GET',
      path: '/api/v1/auth/sso/{connection_id}/login',
      auth: 'none',
      summary:
        "Start a user's sign-in through an SSO connection: redirects to the IdP; the IdP's answer at the connection's ACS / callback returns a user JWT. When the connection has too many sign-ins started in the last minute and not completed, the oldest of them are forgotten (their users start again)",
      tag: 'auth',
      transaction: true,
      status: 302,
      response: LOGIN_STARTED,
      prepare: prepareStart,
      handler: startLogin,
    });
    r.route({
      method: 'GET',
      path: '/api/v1/me',
      auth: 'tenant',
      role: 'member',
      summary: "The caller's identity, role, groups, archetypes and skills",
      tag: 'auth',
      response: meSchema,
      handler: me,
    });
  },
};
