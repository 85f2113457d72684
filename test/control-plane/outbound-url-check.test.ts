import assert from 'node:assert/strict';
import { OutboundError } from '../../control-plane/src/net/guarded-fetch.js';
import { checkOutboundTarget, type ResolveAll } from '../../control-plane/src/net/outbound-target.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { selfSigned as idpCertificate } from '../support/idp/certificates.js';
import { selfSigned as caCertificate } from '../support/platforms/certs.js';

const SECRET = 'whsec-test-0123456789abcdef';

async function refusal(p: Promise<unknown>): Promise<OutboundError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OutboundError) return err;
    throw err;
  }
  assert.fail('was accepted');
}

/** Answers from a table, recording what it was asked; stands in for a DNS server this sandbox lacks. */
function table(answers: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve: ResolveAll = async (host) => {
    asked.push(host);
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address }));
  };
  return { asked, resolve };
}

describe('outbound URL check at write time', function () {
  it('counts localhost and names under it as loopback without asking DNS', async () => {
    const dns = table({});
    for (const url of ['https://localhost:8443/hook', 'https://LOCALHOST./x', 'https://api.localhost/x']) {
      const err = await refusal(checkOutboundTarget(url, {}, { resolve: dns.resolve }));
      assert.equal(err.reason, 'address_not_allowed', url);
      assert.match(err.message, /^points to a private, loopback or reserved address \(.*localhost.? is a loopback name\)$/i);
    }
    assert.deepEqual(dns.asked, []);
  });

  it('refuses localhost through the real resolver path too', async () => {
    assert.equal((await refusal(checkOutboundTarget('https://localhost:8443/hook'))).reason, 'address_not_allowed');
  });

  it('refuses a name when any of its addresses is not public, without echoing the address', async () => {
    const dns = table({ 'intranet.example': ['93.184.216.34', '10.1.2.3'], 'ula.example': ['2606:4700::1', 'fd00::5'], 'public.example': ['93.184.216.34', '2606:4700::1'] });
    for (const host of ['intranet.example', 'ula.example']) {
      const err = await refusal(checkOutboundTarget(`https://${host}/hook`, {}, { resolve: dns.resolve }));
      assert.equal(err.reason, 'address_not_allowed');
      assert.equal(err.message, `points to a private, loopback or reserved address (${host} resolves to one)`);
    }
    const ok = await checkOutboundTarget('https://public.example/hook', {}, { resolve: dns.resolve });
    assert.equal(ok.hostname, 'public.example');
    assert.deepEqual(dns.asked, ['intranet.example', 'ula.example', 'public.example']);
  });

  it('refuses a name with an IPv4-compatible, NAT64-private or 6to4 address; a NAT64 name of a public IPv4 address passes', async () => {
    const dns = table({ 'compat.example': ['::7f00:1'], 'nat64-private.example': ['64:ff9b::a00:1'], '6to4.example': ['2002:c0a8:101::1'], 'nat64.example': ['64:ff9b::808:808'] });
    for (const host of ['compat.example', 'nat64-private.example', '6to4.example']) {
      assert.equal((await refusal(checkOutboundTarget(`https://${host}/hook`, {}, { resolve: dns.resolve }))).reason, 'address_not_allowed', host);
    }
    assert.equal((await checkOutboundTarget('https://nat64.example/hook', {}, { resolve: dns.resolve })).hostname, 'nat64.example');
  });

  it('judges a URL only browsers follow by its name alone: no DNS, localhost still refused', async () => {
    const dns = table({ 'adfs.acme.example': ['10.1.2.3'] });
    assert.equal((await checkOutboundTarget('https://adfs.acme.example/adfs/ls', {}, { resolve: dns.resolve, lookup: false })).hostname, 'adfs.acme.example');
    assert.deepEqual(dns.asked, []);
    assert.equal((await refusal(checkOutboundTarget('https://localhost/sso', {}, { resolve: dns.resolve, lookup: false }))).reason, 'address_not_allowed');
  });

  it('accepts a name that does not resolve or whose lookup outlasts the deadline', async () => {
    assert.equal((await checkOutboundTarget('https://hooks.invalid/x')).hostname, 'hooks.invalid');
    const never: ResolveAll = () => new Promise(() => {});
    assert.equal((await checkOutboundTarget('https://slow.example/x', {}, { resolve: never, lookupTimeoutMs: 20 })).hostname, 'slow.example');
  });

  it('leaves literal addresses to the literal check and skips DNS when private URLs are allowed', async () => {
    const dns = table({ 'intranet.example': ['10.1.2.3'] });
    assert.equal((await refusal(checkOutboundTarget('https://127.0.0.1/', {}, { resolve: dns.resolve }))).reason, 'address_not_allowed');
    assert.equal((await checkOutboundTarget('https://93.184.216.34/', {}, { resolve: dns.resolve })).hostname, '93.184.216.34');
    for (const url of ['https://localhost:8443/hook', 'http://intranet.example/x']) {
      assert.equal((await checkOutboundTarget(url, { allowPrivate: true }, { resolve: dns.resolve })).href, new URL(url).href);
    }
    assert.deepEqual(dns.asked, []);
  });
});

for (const kind of dbKinds()) {
  describe(`outbound URLs resolving to private addresses [${kind}]`, function () {
    this.timeout(60_000);
    let strict: TestControlPlane;
    let open: TestControlPlane;
    let t: TenantFixture;
    const api = (method: string, path: string, body?: unknown, cp = strict, tenant = t) => cp.request(method, path, { token: tenant.token, ...(body === undefined ? {} : { body }) });
    const events = (type: string) => strict.count('governance_events', { tenant_id: t.id, type });

    before(async () => {
      strict = await startControlPlane({ db: kind });
      open = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      t = await strict.createTenant();
    });
    after(async () => {
      await strict?.close();
      await open?.close();
    });

    it('webhook: localhost is refused at create and at update, writing nothing; an unresolvable name is accepted', async () => {
      const before = { rows: await strict.count('webhooks'), events: await events('webhook.created') };
      // ::7f00:1 and ::127.0.0.1 are IPv4-compatible spellings of 127.0.0.1 (::/96).
      for (const url of ['https://localhost:8443/hook', 'https://127.0.0.1/', 'https://[::7f00:1]/x', 'https://[::127.0.0.1]/x', 'https://[64:ff9b::a9fe:a9fe]/x', 'https://[2002:a00:1::1]/x']) {
        const res = await api('POST', '/api/v1/webhooks', { url, events: ['user.created'], secret: SECRET });
        assert.equal(res.status, 400, `${url}: ${res.text}`);
        assert.equal(res.body.error.field, 'url');
        assert.equal(res.body.error.code, 'invalid_value');
        assert.match(res.body.error.message, /^url points to a private, loopback or reserved address/);
      }
      assert.deepEqual({ rows: await strict.count('webhooks'), events: await events('webhook.created') }, before);

      const created = await api('POST', '/api/v1/webhooks', { url: 'https://hooks.invalid/x', events: ['user.created'], secret: SECRET });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.status, 'active');

      const updated = await events('webhook.updated');
      const patched = await api('PATCH', `/api/v1/webhooks/${created.body.id}`, { url: 'https://localhost:8443/hook' });
      assert.equal(patched.status, 400, patched.text);
      assert.equal(patched.body.error.field, 'url');
      assert.equal(patched.body.error.message, 'url points to a private, loopback or reserved address (localhost is a loopback name)');
      assert.equal((await strict.db('webhooks').where({ id: created.body.id }).first()).url, 'https://hooks.invalid/x');
      assert.equal(await events('webhook.updated'), updated);
    });

    it('webhook: localhost is accepted when configuration allows private URLs', async () => {
      const ot = await open.createTenant();
      const res = await api('POST', '/api/v1/webhooks', { url: 'https://localhost:8443/hook', events: ['user.created'], secret: SECRET }, open, ot);
      assert.equal(res.status, 201, res.text);
    });

    it('llm connector: a base_url on localhost is refused at create and at update', async () => {
      const before = await strict.count('llm_connectors');
      const res = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'gw', credential: 'sk-ant-api03-test', base_url: 'https://localhost:8443' });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.field, 'base_url');
      assert.equal(res.body.error.code, 'invalid_value');
      assert.equal(await strict.count('llm_connectors'), before);

      const created = await api('POST', '/api/v1/llm/connectors', { platform: 'claude', name: 'gw', credential: 'sk-ant-api03-test', base_url: 'https://gateway.invalid' });
      assert.equal(created.status, 201, created.text);
      const patched = await api('PATCH', `/api/v1/llm/connectors/${created.body.id}`, { base_url: 'https://gw.localhost/v1' });
      assert.equal(patched.status, 400, patched.text);
      assert.equal(patched.body.error.field, 'base_url');
      assert.equal((await strict.db('llm_connectors').where({ id: created.body.id }).first()).base_url, 'https://gateway.invalid');
    });

    it('hub: an mTLS endpoint on localhost is refused', async () => {
      const tc = await strict.createTenant({ deployment_mode: 'C' });
      const ca = await caCertificate('Customer CA', { ca: true });
      const res = await api('POST', '/api/v1/hub/provision', { mode: 'C', mtls_endpoint_url: 'https://localhost:8443/', customer_ca_certificate: ca.pem }, strict, tc);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.field, 'mtls_endpoint_url');
      assert.equal(res.body.error.code, 'invalid_value');
      assert.equal(await strict.count('hubs', { tenant_id: tc.id }), 0);
    });

    it('sso: an IdP SSO URL on localhost is refused at create and at update', async () => {
      const cert = (await idpCertificate('Test IdP')).certificatePem;
      const before = await strict.count('sso_connections');
      const res = await api('POST', '/api/v1/identity/sso/configure', { name: 'x', protocol: 'saml', idp_sso_url: 'https://localhost/sso', idp_certificate: cert, idp_entity_id: 'urn:x' });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.field, 'idp_sso_url');
      assert.equal(res.body.error.code, 'url_not_allowed');
      assert.equal(await strict.count('sso_connections'), before);

      const created = await api('POST', '/api/v1/identity/sso/configure', { name: 'x', protocol: 'saml', idp_sso_url: 'https://idp.invalid/sso', idp_certificate: cert, idp_entity_id: 'urn:x' });
      assert.equal(created.status, 201, created.text);
      const patched = await api('PATCH', `/api/v1/identity/sso/connections/${created.body.id}`, { idp_sso_url: 'https://localhost/sso' });
      assert.equal(patched.status, 400, patched.text);
      assert.equal(patched.body.error.field, 'idp_sso_url');
      assert.equal((await strict.db('sso_connections').where({ id: created.body.id }).first()).idp_sso_url, 'https://idp.invalid/sso');
    });
  });
}
