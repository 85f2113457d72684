import type { ControlPlaneFixture, TenantFixture } from '../../support/control-plane.js';
import type { HttpResult } from '../../support/http.js';

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Directory {
  id: string;
  token: string;
  endpoint: string;
  /** The path part of the endpoint, for cp.request. */
  base: string;
  tenant: TenantFixture;
}

export async function makeDirectory(cp: ControlPlaneFixture, tenant: TenantFixture, idp = 'okta', extra: Record<string, unknown> = {}): Promise<Directory> {
  const res = await cp.request('POST', '/api/v1/identity/scim/configure', { token: tenant.token, body: { idp, ...extra } });
  if (res.status !== 201) throw new Error(`configure: ${res.status} ${res.text}`);
  return { id: res.body.id, token: res.body.bearer_token, endpoint: res.body.endpoint_url, base: `/scim/v2/${res.body.id}`, tenant };
}

/** A SCIM request as an IdP sends it: bearer token, application/scim+json. */
export function scim(cp: ControlPlaneFixture, dir: Directory) {
  return <T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> =>
    cp.request<T>(method, `${dir.base}${path}`, {
      token: dir.token,
      ...(body === undefined ? {} : typeof body === 'string' ? { raw: body } : { body }),
      headers: { 'Content-Type': 'application/scim+json', ...headers },
    });
}

export function user(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [CORE_USER],
    userName,
    name: { givenName: 'Given', familyName: 'Family' },
    emails: [{ primary: true, value: userName.includes('@') ? userName : `${userName}@acme.example`, type: 'work' }],
    active: true,
    ...extra,
  };
}

/** Rows that SCIM writes touch: what "changes nothing" is measured by. */
export async function scimCounts(cp: ControlPlaneFixture) {
  return {
    users: await cp.count('scim_users'),
    groups: await cp.count('scim_groups'),
    members: await cp.count('scim_group_members'),
    events: await cp.count('governance_events'),
  };
}
