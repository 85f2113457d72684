/**
 * claresia_sso_connection from uploaded SAML metadata: the API reads the IdP's SSO URL,
 * certificate and entity ID out of the document, so a new document (an IdP rotating its
 * signing certificate) changes values the configuration never names.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { idpMetadata as metadata } from '../support/idp/saml-metadata.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const config = (xml: string, extra = '', name = '  Okta SAML ') => `${providerBlock}
resource "claresia_sso_connection" "okta" {
  name         = ${JSON.stringify(name)}
  protocol     = "saml"
  metadata_xml = ${JSON.stringify(xml)}
}
${extra}`;

describe('claresia_sso_connection with terraform (SAML metadata)', function () {
  this.timeout(120_000);
  let cp: TestControlPlane;
  let tenant: TenantFixture;
  let ws: Workspace;
  const certs = [generateServerCertificate().certPem, generateServerCertificate().certPem];
  const attrs = () => ws.state().resources.find((r: any) => r.type === 'claresia_sso_connection').instances[0].attributes;
  const get = (id: string) => cp.request('GET', `/api/v1/identity/sso/connections/${id}`, { token: tenant.token });

  before(async () => {
    await buildProvider();
    cp = await startControlPlane();
    tenant = await cp.createTenant();
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
  });

  it('creates from metadata, reads the IdP settings out of it, and re-plans and refreshes clean', async () => {
    ws.write('main.tf', config(metadata(1, certs[0]!)));
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const refresh = await ws.ok(['apply', '-refresh-only', '-auto-approve']);
    assert.match(refresh.stdout, /found no differences/);
    assert.equal(attrs().idp_entity_id, 'http://www.okta.com/exk1');
    assert.equal(attrs().name, '  Okta SAML ');
  });

  it('applies new metadata (a rotated certificate): the values read from it are planned unknown and recorded as the API read them', async () => {
    ws.write('main.tf', config(metadata(2, certs[1]!)));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /~ idp_entity_id\s+= "http:\/\/www\.okta\.com\/exk1" -> \(known after apply\)/);
    assert.match(plan.stdout, /~ status\s+= "untested" -> \(known after apply\)/);
    await ws.ok(['apply', '-auto-approve']);
    const api = (await get(attrs().id)).body;
    assert.equal(api.idp_entity_id, 'http://www.okta.com/exk2');
    assert.equal(attrs().idp_entity_id, api.idp_entity_id);
    assert.equal(attrs().idp_sso_url, 'https://acme.okta.example/app/2/sso/saml');
    assert.equal(attrs().idp_certificate, certs[1]!.trim());
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('a rename alone keeps the values read from the metadata known', async () => {
    ws.write('main.tf', config(metadata(2, certs[1]!), '', 'Okta'));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.doesNotMatch(plan.stdout, /known after apply/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('imports by id with the configuration it was created from and plans no change', async () => {
    const id = attrs().id;
    // Written as the API would not store it: the name with surrounding spaces.
    ws.write('main.tf', config(metadata(2, certs[1]!), `import {\n  to = claresia_sso_connection.okta\n  id = "${id}"\n}\n`, ' Okta '));
    await ws.ok(['state', 'rm', 'claresia_sso_connection.okta']);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('generates configuration for an import that plans clean, the values read from the metadata included; a value of its own next to the metadata is refused at plan', async () => {
    const id = attrs().id;
    const fresh = workspace({ env: ws.env });
    try {
      fresh.write('main.tf', `${providerBlock}import {\n  to = claresia_sso_connection.gen\n  id = "${id}"\n}\n`);
      const plan = await fresh.tf('plan', '-generate-config-out=generated.tf');
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /1 to import, 0 to add, 0 to change, 0 to destroy/);
      const generated = readFileSync(path.join(fresh.dir, 'generated.tf'), 'utf8');
      // What makes it interesting: Terraform writes the values read from the metadata next to it.
      assert.match(generated, /idp_entity_id\s+= "http:\/\/www\.okta\.com\/exk2"/);
      assert.match(generated, /metadata_xml\s+=/);
      await fresh.ok(['apply', '-auto-approve']);
      await fresh.ok(['plan', '-detailed-exitcode'], 0);

      fresh.write('generated.tf', generated.replace('http://www.okta.com/exk2', 'http://www.okta.com/mine'));
      const conflict = await fresh.tf('plan');
      assert.notEqual(conflict.code, 0);
      assert.match(conflict.stderr, /Invalid combination of arguments: idp_entity_id[\s\S]*idp_entity_id is read from the metadata/);
      assert.doesNotMatch(conflict.stderr, /idp_sso_url|idp_certificate/, 'only the value that differs is refused');
      await fresh.ok(['state', 'rm', 'claresia_sso_connection.gen']);
    } finally {
      fresh.close();
    }
  });

  it('refuses at plan a new connection that gives both metadata and a value read from it', async () => {
    const fresh = workspace({ env: ws.env });
    try {
      fresh.write('main.tf', config(metadata(3, certs[0]!)).replace('protocol     = "saml"', 'protocol     = "saml"\n  idp_sso_url  = "https://acme.okta.example/app/3/sso/saml"'));
      const plan = await fresh.tf('plan');
      assert.notEqual(plan.code, 0);
      assert.match(plan.stderr, /Invalid combination of arguments: idp_sso_url[\s\S]*idp_sso_url is read from the metadata/);
    } finally {
      fresh.close();
    }
  });

  it('plans to create it again once it is deleted through the API', async () => {
    const id = attrs().id;
    assert.equal((await cp.request('DELETE', `/api/v1/identity/sso/connections/${id}`, { token: tenant.token })).status, 204);
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /claresia_sso_connection\.okta will be created/);
    await ws.ok(['apply', '-auto-approve']);
    assert.notEqual(attrs().id, id);
    assert.equal((await get(attrs().id)).status, 200);
    await ws.ok(['destroy', '-auto-approve']);
  });
});
