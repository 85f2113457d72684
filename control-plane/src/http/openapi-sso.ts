import type { JsonSchema } from '@claresia/catalog';
import { ROLES } from '@claresia/catalog';

/**
 * What an SSO sign-in answers, for the OpenAPI document: a login started (the test login's POST,
 * a user's GET .../login) and the IdP's answer taken at the ACS or the OIDC callback.
 */

/** A test login or a user's sign-in started: where to send the browser, and until when. */
export const LOGIN_STARTED: JsonSchema = {
  type: 'object',
  required: ['connection_id', 'protocol', 'redirect_url', 'login_id', 'expires_at'],
  properties: {
    connection_id: { type: 'string' },
    protocol: { enum: ['saml', 'oidc'] },
    redirect_url: { type: 'string', description: "The IdP's sign-in page for this login" },
    login_id: { type: 'string' },
    expires_at: { type: 'string', format: 'date-time', description: 'The IdP must answer before then' },
  },
};

/** A test login's answer validated: the connection is green, with the user the IdP asserted. */
const TEST_LOGIN_PASSED: JsonSchema = {
  type: 'object',
  required: ['connection_id', 'status', 'user'],
  properties: {
    connection_id: { type: 'string' },
    status: { const: 'green' },
    user: {
      type: 'object',
      required: ['subject', 'email', 'groups'],
      properties: {
        subject: { type: 'string', description: 'The NameID (SAML) or sub (OIDC)' },
        email: { type: 'string' },
        first_name: { type: 'string' },
        last_name: { type: 'string' },
        groups: { type: 'array', items: { type: 'string' } },
      },
    },
  },
};

/** A user's sign-in completed: their JWT, for the API routes a member may call. */
const USER_SIGNED_IN: JsonSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'role', 'email', 'subject_id'],
  properties: {
    access_token: { type: 'string' },
    token_type: { const: 'Bearer' },
    expires_in: { type: 'integer', description: 'Seconds' },
    role: { enum: [...ROLES] },
    email: { type: 'string' },
    subject_id: { type: 'string', description: 'The SCIM user (or roster member) the email is' },
  },
};

/** The ACS's and the OIDC callback's 200: a test login passed, or a user signed in. */
export const SSO_IDP_ANSWER: JsonSchema = { oneOf: [TEST_LOGIN_PASSED, USER_SIGNED_IN] };

/**
 * The success answers of routes declared where this document's schemas are not (modules/sso.ts),
 * by `METHOD path`; withHttpConventions puts each on its operation.
 */
export const SSO_ANSWERS: ReadonlyMap<string, JsonSchema> = new Map([['POST /api/v1/identity/sso/connections/{id}/saml/acs', SSO_IDP_ANSWER]]);
