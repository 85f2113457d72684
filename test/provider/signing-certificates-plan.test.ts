/**
 * An SSO connection's idp_certificate holds 1 to 4 signing certificates (one, or several while the
 * IdP rolls its key over). Terraform's plan and Pulumi's preview refuse what the API's apply would,
 * in its words: a fifth certificate, or a block that is no certificate, used to pass plan and
 * fail only at apply.
 */
import assert from 'node:assert/strict';
import { resourceByName, MAX_SIGNING_CERTIFICATES } from '@claresia/catalog';
import { createProvider, encodeMsgpack, resourceType, type ObjectValue } from '@claresia/terraform-provider';
import { generateServerCertificate } from '../../provider/src/plugin/certificate.js';
import { checkInputs } from '../../pulumi-package/src/provider/check.js';
import { MAX_SIGNING_CERTIFICATES as API_MAX } from '../../control-plane/src/sso/certificate.js';

const sso = resourceByName('sso_connection');
const manual = { name: 'Okta', protocol: 'saml', idp_sso_url: 'https://idp.example.com/sso', idp_entity_id: 'https://idp.example.com' };
const pem = () => generateServerCertificate().certPem;
const garbled = '-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';

async function planErrors(values: ObjectValue): Promise<Array<{ detail: string; attribute: { steps: unknown[] } }>> {
  const T = resourceType(sso);
  const blank = Object.fromEntries(Object.keys(T.object).map((k) => [k, null])) as ObjectValue;
  const res = await createProvider().ValidateResourceConfig!({ type_name: 'claresia_sso_connection', config: { msgpack: encodeMsgpack(T, { ...blank, ...values }) }, client_capabilities: { write_only_attributes_allowed: true } });
  return (res.diagnostics as Array<{ detail: string; attribute: { steps: unknown[] } }> | undefined) ?? [];
}

describe('idp_certificate: plan and preview refuse what apply refuses', () => {
  it('the API and the IaC tools share one limit', () => {
    assert.equal(API_MAX, MAX_SIGNING_CERTIFICATES);
  });

  it('terraform: up to 4 certificates plan; a fifth, or a block that is no certificate, is an error at idp_certificate', async () => {
    const four = Array.from({ length: 4 }, pem).join('');
    assert.deepEqual(await planErrors({ ...manual, idp_certificate: four }), []);
    const five = await planErrors({ ...manual, idp_certificate: four + pem() });
    assert.equal(five.length, 1, JSON.stringify(five));
    assert.match(five[0]!.detail, /holds 5 certificates; at most 4 are allowed/);
    assert.deepEqual(five[0]!.attribute.steps, [{ attribute_name: 'idp_certificate' }]);
    const bad = await planErrors({ ...manual, idp_certificate: pem() + garbled });
    assert.match(bad[0]?.detail ?? '', /certificate 2 of 2 is not a valid X\.509 certificate/);
  });

  it('pulumi: the same refusals, named at idpCertificate', async () => {
    const inputs = { name: 'Okta', protocol: 'saml', idpSsoUrl: manual.idp_sso_url, idpEntityId: manual.idp_entity_id };
    assert.deepEqual(await checkInputs(sso, { ...inputs, idpCertificate: pem() + pem() }), []);
    const five = await checkInputs(sso, { ...inputs, idpCertificate: Array.from({ length: 5 }, pem).join('') });
    assert.deepEqual(five.map((f) => f.property), ['idpCertificate']);
    assert.match(five[0]!.reason, /holds 5 certificates; at most 4 are allowed/);
    const bad = await checkInputs(sso, { ...inputs, idpCertificate: garbled });
    assert.match(bad[0]?.reason ?? '', /is not a valid X\.509 certificate/);
  });
});
