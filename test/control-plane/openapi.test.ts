import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { dataSources, resources } from '@claresia/catalog';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { readAutoPostForm, startSamlIdp, type SamlIdp } from '../support/idp/saml-idp.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { until } from '../support/until.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const DOC_ID = 'https://claresia.test/openapi.json';

type Credential = { bearer?: string; scheme: 'operatorToken' | 'tenantToken' | 'scimToken' | 'ingestCredential' } | { basic: string } | undefined;

interface Call {
  method: string;
  /** The path template as the document names it. */
  path: string;
  params?: Record<string, string>;
  query?: Record<string, string | string[]>;
  auth?: Credential;
  /** JSON, sent as application/json unless contentType says otherwise. */
  body?: unknown;
  /** A body sent as it is, in contentType. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** The operations the catalog derives: the reviewer checked them; this test is about the rest. */
function catalogOperations(): Set<string> {
  const ops = new Set<string>();
  for (const r of resources) for (const o of Object.values(r.api)) if (o) ops.add(`${o.method} ${o.path}`);
  for (const d of dataSources) ops.add(`${d.api.read.method} ${d.api.read.path}`);
  return ops;
}

/** A JSON pointer into the document, as a URI fragment. */
const pointer = (...parts: string[]) => `${DOC_ID}#/${parts.map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')}`;

/** A schema says nothing of an object's fields when it has none of these (beyond `type`). */
const SHAPES = ['properties', 'additionalProperties', 'patternProperties', 'oneOf', 'anyOf', 'allOf', '$ref', 'const', 'enum'];

/**
 * Where a schema (its $refs followed into `doc`) has an object typed only `{type: object}`: a
 * client generated from it gets an untyped map, and the document says nothing of what comes
 * back. An object open on purpose (additionalProperties: true) must say what it holds.
 */
function untypedObjects(doc: any, schema: any, at: string, seen = new Set<string>()): string[] {
  if (!schema || typeof schema !== 'object') return [];
  if (typeof schema.$ref === 'string') {
    if (seen.has(schema.$ref)) return [];
    seen.add(schema.$ref);
    const target = schema.$ref.slice(2).split('/').reduce((o: any, k: string) => o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    return untypedObjects(doc, target, `${at} (${schema.$ref})`, seen);
  }
  const out: string[] = [];
  const isObject = schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'));
  if (isObject && !SHAPES.some((k) => k in schema)) out.push(at);
  if (schema.additionalProperties === true && !schema.description) out.push(`${at} (open, and says not what it holds)`);
  for (const [name, sub] of Object.entries(schema.properties ?? {})) out.push(...untypedObjects(doc, sub, `${at}.${name}`, seen));
  if (schema.items) out.push(...untypedObjects(doc, schema.items, `${at}[]`, seen));
  if (typeof schema.additionalProperties === 'object') out.push(...untypedObjects(doc, schema.additionalProperties, `${at}{}`, seen));
  for (const k of ['oneOf', 'anyOf', 'allOf']) for (const [i, sub] of (schema[k] ?? []).entries()) out.push(...untypedObjects(doc, sub, `${at}|${k}[${i}]`, seen));
  return out;
}

/**
 * Every operation the document lists beyond the catalog's is called here once against a real
 * control plane, and what it really takes and answers is checked against what the document says:
 * the credential against `security`, the query against `parameters`, the body's media type and
 * content against `requestBody`, the status against `responses` (a success must be listed by its
 * own code, not only as `default`), and the answer's media type and body against that response's
 * schema, with ajv. The last test fails when an operation was never called, so a new route cannot
 * go undocumented or untested.
 */
for (const kind of dbKinds()) {
  describe(`OpenAPI document against the real answers [${kind}]`, function () {
    let cp: TestControlPlane;
    let t: TenantFixture;
    let idp: SamlIdp;
    let platforms: PlatformServer;
    let receiver: WebhookReceiver;
    let doc: any;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validators = new Map<string, ValidateFunction>();
    const called = new Set<string>();
    const slackCredential = 'xoxb-openapi-test-credential-0001';

    before(async () => {
      idp = await startSamlIdp();
      platforms = await startPlatformServer();
      platforms.addAccount('slack', { credential: slackCredential, scopes: ['chat:write', 'commands', 'users:read', 'users:read.email', 'channels:read'] });
      receiver = await startWebhookReceiver();
      // Private URLs: the IdP, the platform and the webhook receiver are on loopback.
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await cp.createTenant();
      doc = (await cp.request('GET', '/api/v1/openapi.json')).body;
      ajv.addSchema({ ...doc, $id: DOC_ID });
    });
    after(async () => {
      await cp?.close();
      await idp?.close();
      await platforms?.close();
      await receiver?.close();
    });

    const validator = (ref: string) => {
      let v = validators.get(ref);
      if (!v) validators.set(ref, (v = ajv.compile({ $ref: ref })));
      return v;
    };
    const valid = (ref: string, value: unknown, what: string) => {
      const v = validator(ref);
      assert.ok(v(value), `${what}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 600)}`);
    };

    function checkRequest(op: any, c: Call, id: string): void {
      const security: Array<Record<string, unknown>> = op.security ?? doc.security ?? [];
      if (!c.auth) assert.ok(security.length === 0 || security.some((s) => Object.keys(s).length === 0), `${id} is documented as needing ${JSON.stringify(security)}, and was called without a credential`);
      else {
        const scheme = 'basic' in c.auth ? 'clientBasic' : c.auth.scheme;
        assert.ok(security.some((s) => scheme in s), `${id} takes ${scheme}, but its security is ${JSON.stringify(security)}`);
      }
      const documented = new Set<string>((op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name));
      for (const [name, value] of Object.entries(c.query ?? {})) {
        assert.ok(documented.has(name), `${id} reads ?${name}=, which the document does not list`);
        const param = op.parameters.find((p: any) => p.in === 'query' && p.name === name);
        const parsed = param.schema.type === 'array' ? [value].flat() : param.schema.type === 'integer' ? Number(value) : value;
        valid(pointer('paths', c.path, c.method.toLowerCase(), 'parameters', String(op.parameters.indexOf(param)), 'schema'), parsed, `${id} ?${name}=`);
      }
      const sent = c.raw !== undefined || c.body !== undefined;
      if (!sent) {
        assert.ok(!op.requestBody?.required, `${id} documents a required body, and was called without one`);
        return;
      }
      const type = c.contentType ?? 'application/json';
      assert.ok(op.requestBody?.content?.[type], `${id} takes ${type}, which its requestBody does not list (${Object.keys(op.requestBody?.content ?? {}).join(', ') || 'none'})`);
      const body = c.raw !== undefined && type === 'application/x-www-form-urlencoded' ? Object.fromEntries(new URLSearchParams(c.raw)) : (c.raw ?? c.body);
      valid(pointer('paths', c.path, c.method.toLowerCase(), 'requestBody', 'content', type, 'schema'), body, `${id} request body`);
    }

    function checkAnswer(op: any, c: Call, id: string, res: Answer): void {
      const listed = op.responses[String(res.status)];
      if (res.status < 400) assert.ok(listed, `${id} answered ${res.status}, which its responses do not list (${Object.keys(op.responses).join(', ')})\n${res.text.slice(0, 300)}`);
      const status = listed ? String(res.status) : 'default';
      const response = op.responses[status];
      assert.ok(response, `${id} answered ${res.status}, and documents no default`);
      if (res.status >= 300 && res.status < 400) assert.ok(response.headers?.Location && res.headers.get('location'), `${id} ${res.status}: Location`);
      if (!response.content) {
        assert.equal(res.text, '', `${id} ${res.status} is documented without a body`);
        return;
      }
      const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
      assert.ok(response.content[type], `${id} ${res.status} answered ${type}; the document says ${Object.keys(response.content).join(', ')}`);
      if (res.status < 400) assert.deepEqual(untypedObjects(doc, response.content[type].schema, 'answer'), [], `${id} ${res.status}: what it answers is typed only {type: object}`);
      valid(pointer('paths', c.path, c.method.toLowerCase(), 'responses', status, 'content', type, 'schema'), res.body, `${id} ${res.status} body`);
    }

    /** Makes the call, checks both sides against the document, and returns the answer. */
    async function call(c: Call): Promise<Answer> {
      const id = `${c.method} ${c.path}`;
      const op = doc.paths[c.path]?.[c.method.toLowerCase()];
      assert.ok(op, `${id} is not in the document`);
      checkRequest(op, c, id);
      let url = c.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(c.params?.[name] ?? assert.fail(`${id}: no value for {${name}}`)));
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(c.query ?? {})) for (const one of [v].flat()) q.append(k, one);
      if ([...q].length) url += `?${q}`;
      const headers: Record<string, string> = { ...(c.headers ?? {}) };
      if (c.auth && 'basic' in c.auth) headers.Authorization = `Basic ${c.auth.basic}`;
      else if (c.auth) headers.Authorization = `Bearer ${c.auth.bearer}`;
      let body: string | undefined;
      if (c.raw !== undefined) body = c.raw;
      else if (c.body !== undefined) body = JSON.stringify(c.body);
      if (body !== undefined) headers['Content-Type'] = c.contentType ?? 'application/json';
      const res = await fetch(cp.url + url, { method: c.method, headers, body, redirect: 'manual' });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      const answer = { status: res.status, body: parsed, text, headers: res.headers };
      checkAnswer(op, c, id, answer);
      called.add(id);
      return answer;
    }

    const tenant = (): Credential => ({ bearer: t.token, scheme: 'tenantToken' });
    const operator = (): Credential => ({ bearer: cp.operatorToken, scheme: 'operatorToken' });

    it('service accounts and tokens: JSON, form and HTTP Basic token requests, 201 and 204 answers', async () => {
      const sa = await call({ method: 'POST', path: '/api/v1/service-accounts', auth: tenant(), body: { name: 'openapi-bot' } });
      assert.equal(sa.status, 201, sa.text);
      assert.equal((await call({ method: 'GET', path: '/api/v1/service-accounts', auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/service-accounts/{id}', params: { id: sa.body.id }, auth: tenant() })).status, 200);
      // The token requests below use the replaced secret, which the overlap keeps working.
      const rotated = await call({ method: 'POST', path: '/api/v1/service-accounts/{id}/secret:rotate', params: { id: sa.body.id }, auth: tenant(), body: { secret_overlap_seconds: 3600 } });
      assert.equal(rotated.status, 200, rotated.text);
      const first = await call({ method: 'POST', path: '/api/v1/tenants/{id}/client-secret:rotate', params: { id: t.id }, auth: operator() });
      assert.equal(first.status, 200, first.text);
      const json = await call({ method: 'POST', path: '/api/v1/auth/token', body: { grant_type: 'client_credentials', client_id: sa.body.client_id, client_secret: sa.body.client_secret } });
      assert.equal(json.status, 200, json.text);
      const form = await call({
        method: 'POST',
        path: '/api/v1/auth/token',
        raw: new URLSearchParams({ grant_type: 'client_credentials', client_id: sa.body.client_id, client_secret: sa.body.client_secret }).toString(),
        contentType: 'application/x-www-form-urlencoded',
      });
      assert.equal(form.status, 200, form.text);
      const basic = await call({
        method: 'POST',
        path: '/api/v1/auth/token',
        auth: { basic: Buffer.from(`${sa.body.client_id}:${sa.body.client_secret}`).toString('base64') },
        raw: 'grant_type=client_credentials',
        contentType: 'application/x-www-form-urlencoded',
      });
      assert.equal(basic.status, 200, basic.text);
      assert.equal((await call({ method: 'POST', path: '/api/v1/auth/revoke', auth: { bearer: basic.body.access_token, scheme: 'tenantToken' } })).status, 204);
      assert.equal((await call({ method: 'DELETE', path: '/api/v1/service-accounts/{id}', params: { id: sa.body.id }, auth: tenant() })).status, 204);
    });

    it('tenants, by the operator and by the tenant itself', async () => {
      assert.equal((await call({ method: 'GET', path: '/api/v1/tenant', auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/me', auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'PATCH', path: '/api/v1/tenant', auth: tenant(), body: { display_name: 'OpenAPI Co' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/tenants', auth: operator(), query: { limit: '2' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/tenants', auth: tenant(), query: { id: [t.id] } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/tenants/{id}', params: { id: t.id }, auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'PATCH', path: '/api/v1/tenants/{id}', params: { id: t.id }, auth: tenant(), body: { display_name: 'OpenAPI Co.' } })).status, 200);
    });

    it('SSO: a test login through the SAML POST binding, and a user sign-in start', async () => {
      const conn = await cp.request('POST', '/api/v1/identity/sso/configure', { token: t.token, body: { name: 'OpenAPI SAML', protocol: 'saml', metadata_url: idp.metadataUrl } });
      assert.equal(conn.status, 201, conn.text);
      const start = await call({ method: 'POST', path: '/api/v1/identity/sso/connections/{id}/test', params: { id: conn.body.id }, auth: tenant() });
      assert.equal(start.status, 201, start.text);
      const form = readAutoPostForm(await (await fetch(start.body.redirect_url)).text());
      const acsPath = new URL(form.action).pathname;
      assert.equal(acsPath, `/api/v1/identity/sso/connections/${conn.body.id}/saml/acs`);
      const acs = await call({
        method: 'POST',
        path: '/api/v1/identity/sso/connections/{id}/saml/acs',
        params: { id: conn.body.id },
        raw: new URLSearchParams(form.fields).toString(),
        contentType: 'application/x-www-form-urlencoded',
      });
      assert.equal(acs.status, 200, acs.text);
      const login = await call({ method: 'GET', path: '/api/v1/auth/sso/{connection_id}/login', params: { connection_id: conn.body.id } });
      assert.equal(login.status, 302, login.text);
      // The OIDC callback of a connection that is not OIDC: its documented error.
      const callback = await call({ method: 'GET', path: '/api/v1/identity/sso/connections/{id}/oidc/callback', params: { id: conn.body.id }, query: { state: 'no-such-state', code: 'x' } });
      assert.equal(callback.status, 404, callback.text);
    });

    it('SCIM: the directory token, the sync, and every SCIM operation', async () => {
      const dir = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'okta' } });
      assert.equal(dir.status, 201, dir.text);
      const rotated = await call({ method: 'POST', path: '/api/v1/identity/scim/directories/{id}/token:rotate', params: { id: dir.body.id }, auth: tenant() });
      assert.equal(rotated.status, 200, rotated.text);
      const scim = (): Credential => ({ bearer: rotated.body.bearer_token, scheme: 'scimToken' });
      const d = { directory_id: dir.body.id };
      const scimType = 'application/scim+json';
      for (const path of ['ServiceProviderConfig', 'Schemas', 'ResourceTypes']) {
        assert.equal((await call({ method: 'GET', path: `/scim/v2/{directory_id}/${path}`, params: d, auth: scim() })).status, 200);
      }
      const schemas = await call({ method: 'GET', path: '/scim/v2/{directory_id}/Schemas', params: d, auth: scim() });
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Schemas/{id}', params: { ...d, id: schemas.body.Resources[0].id }, auth: scim() })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/ResourceTypes/{id}', params: { ...d, id: 'User' }, auth: scim() })).status, 200);

      const user = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@openapi.example', name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: 'ada@openapi.example', primary: true }], active: true };
      const created = await call({ method: 'POST', path: '/scim/v2/{directory_id}/Users', params: d, auth: scim(), body: user, contentType: scimType });
      assert.equal(created.status, 201, created.text);
      const u = { ...d, id: created.body.id };
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Users', params: d, auth: scim(), query: { filter: 'userName eq "ada@openapi.example"', count: '10' } })).status, 200);
      assert.equal((await call({ method: 'POST', path: '/scim/v2/{directory_id}/Users/.search', params: d, auth: scim(), body: { filter: 'userName eq "ada@openapi.example"' }, contentType: scimType })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Users/{id}', params: u, auth: scim() })).status, 200);
      assert.equal((await call({ method: 'PUT', path: '/scim/v2/{directory_id}/Users/{id}', params: u, auth: scim(), body: { ...user, title: 'Engineer' }, contentType: scimType })).status, 200);
      const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Analyst' }] };
      assert.ok([200, 204].includes((await call({ method: 'PATCH', path: '/scim/v2/{directory_id}/Users/{id}', params: u, auth: scim(), body: patch, contentType: scimType })).status));

      const group = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'claresia-openapi', members: [{ value: created.body.id }] };
      const g = await call({ method: 'POST', path: '/scim/v2/{directory_id}/Groups', params: d, auth: scim(), body: group, contentType: scimType });
      assert.equal(g.status, 201, g.text);
      const gp = { ...d, id: g.body.id };
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Groups', params: d, auth: scim() })).status, 200);
      assert.equal((await call({ method: 'POST', path: '/scim/v2/{directory_id}/Groups/.search', params: d, auth: scim(), body: { filter: 'displayName eq "claresia-openapi"' }, contentType: scimType })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Groups/{id}', params: gp, auth: scim() })).status, 200);
      assert.equal((await call({ method: 'PUT', path: '/scim/v2/{directory_id}/Groups/{id}', params: gp, auth: scim(), body: group, contentType: scimType })).status, 200);
      const rename = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'claresia-openapi-2' }] };
      assert.ok([200, 204].includes((await call({ method: 'PATCH', path: '/scim/v2/{directory_id}/Groups/{id}', params: gp, auth: scim(), body: rename, contentType: scimType })).status));

      assert.equal((await call({ method: 'POST', path: '/api/v1/roster/scim:sync', auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'DELETE', path: '/scim/v2/{directory_id}/Groups/{id}', params: gp, auth: scim() })).status, 204);
      // A missing user, in the SCIM error schema.
      assert.equal((await call({ method: 'GET', path: '/scim/v2/{directory_id}/Users/{id}', params: { ...d, id: 'no-such-user' }, auth: scim() })).status, 404);
      assert.equal((await call({ method: 'DELETE', path: '/scim/v2/{directory_id}/Users/{id}', params: u, auth: scim() })).status, 204);
    });

    it('roster: the CSV import, the lists and their query, a member and an override', async () => {
      const csv = 'email,first_name,last_name,title,department,manager_email\nbea@openapi.example,Bea,Ray,Software Engineer,Engineering,\ncy@openapi.example,Cy,Lo,Zookeeper,Zoo,\n';
      const imported = await call({ method: 'POST', path: '/api/v1/roster/csv', auth: tenant(), raw: csv, contentType: 'text/csv' });
      assert.equal(imported.status, 200, imported.text);
      const roster = await call({ method: 'GET', path: '/api/v1/roster', auth: tenant(), query: { limit: '10' } });
      assert.equal(roster.status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/roster', auth: tenant(), query: { unmatched: 'true', cursor: 'a' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/roster', auth: tenant(), query: { archetype: 'eng' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/roster/members/{id}', params: { id: 'bea@openapi.example' }, auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'PUT', path: '/api/v1/roster/members/{id}/archetype', params: { id: 'cy@openapi.example' }, auth: tenant(), body: { archetype: 'eng' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/roster/archetypes', auth: tenant() })).status, 200);
      // Replace mode with its guard named: cy is left out of the file, and taken off.
      const replace = await call({ method: 'POST', path: '/api/v1/roster/csv', auth: tenant(), query: { mode: 'replace', max_removals: '1' }, raw: csv.split('\n').slice(0, 2).join('\n') + '\n', contentType: 'text/csv' });
      assert.equal(replace.status, 200, replace.text);
      assert.equal(replace.body.deactivated, 1);
      assert.equal((await call({ method: 'DELETE', path: '/api/v1/roster/members/{id}', params: { id: 'bea@openapi.example' }, auth: tenant() })).status, 204);
    });

    it('skills: a pack applied with and without a body (201 then 200), a republish (202) and its requests', async () => {
      const first = await call({ method: 'POST', path: '/api/v1/skill-entitlement/coworks/{pack}/apply', params: { pack: 'starter' }, auth: tenant() });
      assert.equal(first.status, 201, first.text);
      const again = await call({ method: 'POST', path: '/api/v1/skill-entitlement/coworks/{pack}/apply', params: { pack: 'starter' }, auth: tenant(), body: { blocked_skills: [] } });
      assert.equal(again.status, 200, again.text);
      const republish = await call({ method: 'POST', path: '/api/v1/skill-entitlement/distribution:republish', auth: tenant(), body: { reason: 'openapi test' } });
      assert.equal(republish.status, 202, republish.text);
      assert.equal((await call({ method: 'POST', path: '/api/v1/skill-entitlement/distribution:republish', auth: tenant() })).status, 202);
      assert.equal((await call({ method: 'GET', path: '/api/v1/skill-entitlement/distribution/requests', auth: tenant(), query: { status: 'pending', limit: '5' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/skill-entitlement/distribution/requests/{id}', params: { id: republish.body.id }, auth: tenant() })).status, 200);
    });

    it('LLM connector: the test call, the ingest credential, telemetry in and out', async () => {
      const conn = await cp.request('POST', '/api/v1/llm/connectors', { token: t.token, body: { platform: 'slack', name: 'openapi', credential: slackCredential, base_url: platforms.baseUrl('slack') } });
      assert.equal(conn.status, 201, conn.text);
      const tested = await call({ method: 'POST', path: '/api/v1/llm/connectors/{id}:test', params: { id: conn.body.id }, auth: tenant() });
      assert.equal(tested.status, 200, tested.text);
      const rotated = await call({ method: 'POST', path: '/api/v1/llm/connectors/{id}/ingest-credential:rotate', params: { id: conn.body.id }, auth: tenant() });
      assert.equal(rotated.status, 200, rotated.text);
      const event = { skill_id: 'claresia.core.meeting-notes', invocation_id: 'openapi-1' };
      const ingest = (): Credential => ({ bearer: rotated.body.ingest_credential, scheme: 'ingestCredential' });
      assert.equal((await call({ method: 'POST', path: '/api/v1/telemetry/events', auth: ingest(), body: event })).status, 202);
      assert.equal((await call({ method: 'POST', path: '/api/v1/telemetry/events', auth: ingest(), body: event })).status, 200, 'the same invocation again');
      assert.equal((await call({ method: 'GET', path: '/api/v1/telemetry/events', auth: tenant(), query: { skill_id: event.skill_id, limit: '10' } })).status, 200);
    });

    it('webhooks: deliveries listed, read, sent again one by one and by range', async () => {
      const hook = await cp.request('POST', '/api/v1/webhooks', { token: t.token, body: { url: receiver.url, events: ['user.created'], secret: 'openapi-webhook-secret-0001' } });
      assert.equal(hook.status, 201, hook.text);
      const dir = await cp.request('POST', '/api/v1/identity/scim/configure', { token: t.token, body: { idp: 'google' } });
      for (const name of ['dee', 'eve']) {
        const made = await cp.request('POST', `/scim/v2/${dir.body.id}/Users`, { token: dir.body.bearer_token, body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `${name}@openapi.example`, active: true } });
        assert.equal(made.status, 201, made.text);
      }
      const h = { id: hook.body.id };
      const page = await until('two deliveries made', async () => {
        const list = await call({ method: 'GET', path: '/api/v1/webhooks/{id}/deliveries', params: h, auth: tenant(), query: { status: 'delivered', limit: '1' } });
        return list.body.next_cursor ? list.body : undefined;
      });
      const delivered = page.items[0];
      assert.equal((await call({ method: 'GET', path: '/api/v1/webhooks/{id}/deliveries', params: h, auth: tenant(), query: { cursor: page.next_cursor } })).status, 200);
      const d = { ...h, delivery_id: delivered.id };
      assert.equal((await call({ method: 'GET', path: '/api/v1/webhooks/{id}/deliveries/{delivery_id}', params: d, auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'POST', path: '/api/v1/webhooks/{id}/deliveries/{delivery_id}:retry', params: d, auth: tenant() })).status, 200);
      const range = await call({ method: 'POST', path: '/api/v1/webhooks/{id}/deliveries:retry', params: h, auth: tenant(), body: { since: new Date(Date.now() - 3600_000).toISOString() } });
      assert.equal(range.status, 200, range.text);
    });

    it('Hub: read, retry refused while it is not failed, decommission (204)', async () => {
      const hub = await cp.request('POST', '/api/v1/hub/provision', { token: t.token, body: { mode: 'A' } });
      assert.equal(hub.status, 201, hub.text);
      assert.equal((await call({ method: 'GET', path: '/api/v1/hub', auth: tenant() })).status, 200);
      const retry = await call({ method: 'POST', path: '/api/v1/hubs/{id}:retry', params: { id: hub.body.id }, auth: tenant() });
      assert.ok(retry.status === 200 || retry.status === 409, retry.text);
      assert.equal((await call({ method: 'DELETE', path: '/api/v1/hub', auth: tenant() })).status, 204);
    });

    it('audit: events by type, time and cursor (tenant and operator), verify, keys', async () => {
      const events = await call({ method: 'GET', path: '/api/v1/hub/governance-events', auth: tenant(), query: { type: ['tenant.config_changed', 'auth.login'], since: '2020-01-01T00:00:00Z', until: new Date(Date.now() + 60_000).toISOString(), limit: '5' } });
      assert.equal(events.status, 200, events.text);
      assert.equal((await call({ method: 'GET', path: '/api/v1/hub/governance-events', auth: operator(), query: { tenant_id: t.id, cursor: '1' } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/hub/governance-events:verify', auth: operator(), query: { tenant_id: t.id } })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/hub/governance-events:verify', auth: tenant() })).status, 200);
      assert.equal((await call({ method: 'GET', path: '/api/v1/hub/governance-keys', auth: tenant() })).status, 200);
    });

    it('no success answer in the document, the catalog operations included, is typed only {type: object}', () => {
      const untyped: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const [status, r] of Object.entries(op.responses as Record<string, any>)) {
            if (status === 'default' || Number(status) >= 400) continue;
            for (const [type, c] of Object.entries((r?.content ?? {}) as Record<string, any>)) untyped.push(...untypedObjects(doc, c.schema, `${method.toUpperCase()} ${path} ${status} ${type}`));
          }
        }
      }
      assert.deepEqual(untyped, []);
    });

    it('every operation the document lists beyond the catalog was called and checked', async () => {
      const catalog = catalogOperations();
      const documented: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
        for (const method of Object.keys(ops)) {
          const id = `${method.toUpperCase()} ${path}`;
          if (!catalog.has(id)) documented.push(id);
        }
      }
      // A new route needs a call above: its answers are checked against what it documents.
      assert.deepEqual(documented.filter((id) => !called.has(id)).sort(), [], 'documented operations this test never called');
      assert.ok(called.size >= 50, `${called.size}`);
    });
  });
}
