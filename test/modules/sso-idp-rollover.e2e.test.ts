/**
 * The tenant module takes the SAML signing-certificate bundle the resource and the API take for an
 * IdP key rollover (up to 4 certificates; review r7 F1): it used to refuse anything but one, so a
 * module user could only swap the certificate, which sets the connection untested and revokes its
 * sessions. A bundle of more than 4, or a block that is no certificate, still fails the plan with
 * the variable named, and changes nothing. Real terraform, real control plane.
 */
import assert from 'node:assert/strict';
import { startControlPlane, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { selfSigned } from '../support/idp/certificates.js';
import { buildProvider, type Workspace } from '../provider/support/terraform.js';
import { tenantModuleConfig, tenantModuleWorkspace } from './support.js';

const config = tenantModuleConfig({
  before: 'variable "bundle" { type = string }',
  tenant: { slug: 'acme-rollover' },
  inputs: `  sso = {
    protocol        = "saml"
    idp_sso_url     = "https://idp.acme.example/sso/saml"
    idp_entity_id   = "http://www.okta.com/exk1rollover"
    idp_certificate = file(var.bundle)
  }`,
  after: `output "sso_connection_id" {
  value = module.tenant.sso_connection_id
}
`,
});

for (const kind of dbKinds())
  describe(`terraform-claresia-tenant: sso.idp_certificate bundle for a key rollover (${kind})`, function () {
    this.timeout(600_000);
    let cp: TestControlPlane;
    let ws: Workspace;
    let certs: string[];
    let tenants: number;

    before(async () => {
      await buildProvider();
      cp = await startControlPlane({ db: kind });
      ({ ws } = tenantModuleWorkspace({ CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: cp.operatorToken }));
      certs = await Promise.all(['idp-current', 'idp-next', 'idp-3', 'idp-4', 'idp-5'].map(async (cn) => (await selfSigned(cn)).certificatePem));
      ws.write('two.pem', certs.slice(0, 2).join('\n'));
      ws.write('five.pem', certs.join('\n'));
      ws.write('garbled.pem', `${certs[0]}\n-----BEGIN CERTIFICATE-----\nthis is not a certificate!\n-----END CERTIFICATE-----\n`);
      ws.write('main.tf', config);
      await ws.ok(['init', '-input=false']);
      tenants = await cp.count('tenants');
    });
    after(async () => {
      ws?.close();
      await cp?.close();
    });

    const refused = async (file: string) => {
      const r = await ws.tf('plan', '-var', `bundle=${file}`);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const said = r.stderr.replace(/\s+/g, ' '); // terraform wraps its messages
      assert.match(said, /Invalid value for variable/);
      assert.match(said, /sso\.idp_certificate must be a PEM certificate \(-----BEGIN CERTIFICATE-----\), hold at most 16384 characters besides surrounding spaces and hold 1 to 4 PEM certificates/);
    };

    it('refuses 5 certificates at plan, naming the variable, and creates nothing', async () => {
      await refused('five.pem');
      assert.equal(await cp.count('tenants'), tenants);
    });

    it('refuses a bundle with a block that is no certificate at plan', async () => {
      await refused('garbled.pem');
      assert.equal(await cp.count('tenants'), tenants);
    });

    it('applies a 2-certificate bundle, stores both, and re-plans empty', async () => {
      await ws.ok(['apply', '-auto-approve', '-var', 'bundle=two.pem']);
      const id = JSON.parse((await ws.ok(['output', '-json'])).stdout).sso_connection_id.value as string;
      const row = await cp.db('sso_connections').where({ id }).first('idp_certificate');
      assert.equal(row.idp_certificate, certs.slice(0, 2).join('\n').trim());
      await ws.ok(['plan', '-detailed-exitcode', '-var', 'bundle=two.pem'], 0);
      // Refused against an existing tenant too: the connection keeps its bundle.
      await refused('five.pem');
      assert.equal((await cp.db('sso_connections').where({ id }).first('idp_certificate')).idp_certificate, row.idp_certificate);
      await ws.ok(['destroy', '-auto-approve', '-var', 'bundle=two.pem']);
    });
  });
