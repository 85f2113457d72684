import assert from 'node:assert/strict';
import type { TenantFixture, TestControlPlane } from '../support/control-plane.js';
import type { HttpResult } from '../support/http.js';
import { readAutoPostForm, type SamlIdp } from '../support/idp/saml-idp.js';
import { CORE_GROUP, PATCH_OP, scim, user, type Directory } from './scim/helpers.js';

/** Plays the browser through the IdP's page: follow its redirect, post its form to the ACS. */
async function throughIdp(cp: TestControlPlane, redirectUrl: string): Promise<HttpResult> {
  const page = await fetch(redirectUrl);
  assert.equal(page.status, 200);
  const form = readAutoPostForm(await page.text());
  return cp.request('POST', new URL(form.action).pathname, {
    raw: new URLSearchParams(form.fields).toString(),
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
}

/** A SAML connection that passed its test login (status green), ready for users to sign in. */
export async function greenSamlConnection(cp: TestControlPlane, t: TenantFixture, idp: SamlIdp): Promise<string> {
  const res = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'Okta', protocol: 'saml', metadata_url: idp.metadataUrl } });
  assert.equal(res.status, 201, res.text);
  const start = await cp.request('POST', `/api/v1/identity/sso/connections/${res.body.id}/test`, { token: t.token });
  assert.equal(start.status, 201, start.text);
  const done = await throughIdp(cp, start.body.redirect_url);
  assert.equal(done.status, 200, done.text);
  assert.equal(done.body.status, 'green');
  return res.body.id;
}

/** A user's SP-initiated sign-in as `email`: the login URL, the IdP, the ACS; returns the ACS answer. */
export async function signIn(cp: TestControlPlane, idp: SamlIdp, connectionId: string, email: string): Promise<HttpResult> {
  idp.user = { nameId: email, attributes: { email, firstName: 'Test', lastName: 'User', groups: ['claresia-users'] } };
  const start = await fetch(`${cp.url}/api/v1/auth/sso/${connectionId}/login`, { redirect: 'manual' });
  assert.equal(start.status, 302, await start.text());
  return throughIdp(cp, start.headers.get('location')!);
}

export interface ScimPeople {
  /** SCIM user ids by email. */
  ids: Map<string, string>;
  /** SCIM group ids by name. */
  groups: Map<string, string>;
}

/** Creates SCIM users (title picks their archetype) and groups with members, as an IdP would. */
export async function provision(cp: TestControlPlane, dir: Directory, users: Array<{ email: string; title?: string }>, groups: Record<string, string[]>): Promise<ScimPeople> {
  const s = scim(cp, dir);
  const ids = new Map<string, string>();
  for (const u of users) {
    const res = await s('POST', '/Users', user(u.email, u.title ? { title: u.title } : {}));
    assert.equal(res.status, 201, res.text);
    ids.set(u.email, res.body.id);
  }
  const out = new Map<string, string>();
  for (const [name, members] of Object.entries(groups)) {
    const res = await s('POST', '/Groups', { schemas: [CORE_GROUP], displayName: name, members: members.map((e) => ({ value: ids.get(e)! })) });
    assert.equal(res.status, 201, res.text);
    out.set(name, res.body.id);
  }
  return { ids, groups: out };
}

export function removeMember(cp: TestControlPlane, dir: Directory, groupId: string, userId: string) {
  return scim(cp, dir)('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${userId}"]` }] });
}

export function addMember(cp: TestControlPlane, dir: Directory, groupId: string, userId: string) {
  return scim(cp, dir)('PATCH', `/Groups/${groupId}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] });
}
