import assert from 'node:assert/strict';
import { resourceByName, resources, ruleNotes, ruleViolations, type RuleInput } from '@claresia/catalog';

const UNKNOWN = Symbol('unknown');
const hub = resourceByName('hub');
const sso = resourceByName('sso_connection');
const check = (def: typeof hub, values: RuleInput['values'], given?: RuleInput['given']) =>
  ruleViolations(def, { values, given, isUnknown: (v) => v === UNKNOWN }).map((v) => [v.attribute, v.message]);

describe('catalog rules over several attributes', () => {
  it('every rule names attributes the resource has as inputs, and carries a message naming the attribute or its pair', () => {
    for (const def of resources) {
      for (const rule of def.rules ?? []) {
        const named = [...rule.attributes, ...('when' in rule ? Object.keys(rule.when) : rule.with)];
        for (const a of named) {
          assert.ok(def.attributes[a], `${def.name}: rule names unknown attribute ${a}`);
          assert.notEqual(def.attributes[a]!.mode, 'computed', `${def.name}: ${a} is computed`);
        }
        assert.ok(rule.message.includes('{attribute}') || rule.attributes.every((a) => rule.message.includes(a)), `${def.name}: ${rule.message}`);
      }
    }
  });

  it('a Hub needs region in Mode B, the mTLS settings in Mode C, and refuses those outside Mode C', () => {
    assert.deepEqual(check(hub, { mode: 'B' }), [['region', 'region is required in Mode B (the region the dedicated Hub and its CMEK key live in)']]);
    assert.deepEqual(check(hub, { mode: 'B', region: 'eu-west-1' }), []);
    assert.deepEqual(check(hub, { mode: 'A' }), []);
    assert.deepEqual(
      check(hub, { mode: 'C', region: null }).map(([a]) => a),
      ['mtls_endpoint_url', 'customer_ca_certificate'],
    );
    assert.deepEqual(check(hub, { mode: 'A', mtls_endpoint_url: 'https://x.example', customer_ca_certificate: null }), [['mtls_endpoint_url', 'mtls_endpoint_url is only used in Mode C']]);
    assert.deepEqual(check(hub, { mode: 'B', region: 'eu-west-1', customer_ca_certificate: 'PEM' }), [['customer_ca_certificate', 'customer_ca_certificate is only used in Mode C']]);
  });

  it('reports nothing that an unknown value could still satisfy', () => {
    // The mode is not known: neither requirement nor refusal is decided.
    assert.deepEqual(check(hub, { mode: UNKNOWN }), []);
    assert.deepEqual(check(hub, { mode: UNKNOWN, mtls_endpoint_url: 'https://x.example' }), []);
    // The required value is not known yet: it may be set.
    assert.deepEqual(check(hub, { mode: 'B', region: UNKNOWN }), []);
    assert.deepEqual(check(hub, { mode: 'C', mtls_endpoint_url: UNKNOWN, customer_ca_certificate: UNKNOWN }), []);
    // The refused value is not known yet: it may be null.
    assert.deepEqual(check(hub, { mode: 'A', mtls_endpoint_url: UNKNOWN }), []);
    // One unknown among several conditions leaves the rule undecided; one false condition decides it.
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_url: UNKNOWN }), []);
    assert.deepEqual(check(sso, { protocol: UNKNOWN, metadata_url: 'https://idp/md' }), []);
    assert.deepEqual(check(sso, { protocol: 'oidc', metadata_url: UNKNOWN, discovery_url: 'https://idp', client_id: 'c', client_secret: 's' }), []);
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_url: UNKNOWN, metadata_xml: '<x/>' }), [], 'a conflict with an unknown value is not decided');
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_xml: '<x/>', idp_sso_url: UNKNOWN }), []);
  });

  it('null and absent are both "not set"', () => {
    assert.deepEqual(check(hub, { mode: 'B', region: null }).map(([a]) => a), ['region']);
    assert.deepEqual(check(hub, { mode: 'B', region: undefined }).map(([a]) => a), ['region']);
    assert.deepEqual(check(hub, { mode: 'A', mtls_endpoint_url: null, customer_ca_certificate: undefined }), []);
  });

  it('SSO: each protocol requires its own fields and refuses the other protocol’s', () => {
    const oidc = { protocol: 'oidc', discovery_url: 'https://idp', client_id: 'c', client_secret: 's' };
    assert.deepEqual(check(sso, oidc), []);
    assert.deepEqual(check(sso, { ...oidc, client_secret: null }), [['client_secret', 'client_secret is required for protocol oidc']]);
    assert.deepEqual(check(sso, { ...oidc, metadata_url: 'https://idp/md' }), [['metadata_url', 'metadata_url does not apply to protocol oidc']]);
    const manual = { protocol: 'saml', idp_sso_url: 'https://idp/sso', idp_certificate: 'PEM', idp_entity_id: 'urn:idp' };
    assert.deepEqual(check(sso, manual), []);
    assert.deepEqual(check(sso, { ...manual, client_id: 'c' }), [['client_id', 'client_id does not apply to protocol saml']]);
    assert.deepEqual(check(sso, { protocol: 'saml' }).map(([a]) => a), ['idp_sso_url', 'idp_certificate', 'idp_entity_id']);
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_url: 'https://idp/md' }), []);
    // Both refused (each is the other's conflict), metadata_xml first: the field the API names.
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_url: 'https://idp/md', metadata_xml: '<x/>' }), [
      ['metadata_xml', 'give metadata_url or metadata_xml, not both'],
      ['metadata_url', 'give metadata_url or metadata_xml, not both'],
    ]);
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_xml: '<x/>', idp_entity_id: 'urn:idp' }), [
      ['idp_entity_id', 'idp_entity_id is read from the metadata; leave it out when metadata_url or metadata_xml is given'],
    ]);
    // One failure per attribute: an SSO URL in an OIDC connection with a metadata URL is wrong for its protocol first.
    assert.deepEqual(check(sso, { ...oidc, metadata_url: 'https://idp/md', idp_sso_url: 'https://idp/sso' }), [
      ['metadata_url', 'metadata_url does not apply to protocol oidc'],
      ['idp_sso_url', 'idp_sso_url does not apply to protocol oidc'],
    ]);
    // Compared as the API stores the value (the catalog's normalisation), not as typed.
    assert.deepEqual(check({ ...hub, attributes: { ...hub.attributes, mode: { ...hub.attributes.mode!, normalize: 'trim' } } }, { mode: ' B ' }).map(([a]) => a), ['region']);
  });

  it('an update refuses only what the caller sent, against the resource as it would be', () => {
    // Stored: metadata_url and the SSO URL read from it. A rename-like change sends neither.
    const stored = { protocol: 'saml', metadata_url: 'https://idp/md', idp_sso_url: 'https://idp/sso', idp_certificate: 'PEM', idp_entity_id: 'urn:idp' };
    assert.deepEqual(check(sso, stored, {}), []);
    assert.deepEqual(check(sso, { ...stored, idp_sso_url: 'https://other/sso' }, { idp_sso_url: 'https://other/sso' }).map(([a]) => a), ['idp_sso_url']);
    // A metadata document sent where a URL is stored conflicts; so does the URL sent where a document is stored.
    assert.deepEqual(check(sso, { ...stored, metadata_xml: '<x/>' }, { metadata_xml: '<x/>' }).map(([a]) => a), ['metadata_xml']);
    assert.deepEqual(check(sso, { protocol: 'saml', metadata_xml: '<x/>', metadata_url: 'https://idp/md' }, { metadata_url: 'https://idp/md' }).map(([a]) => a), ['metadata_url']);
    // Switching to manual settings: metadata_url cleared, the manual fields sent.
    assert.deepEqual(check(sso, { ...stored, metadata_url: null }, { metadata_url: null, idp_sso_url: 'https://idp/sso' }), []);
    // Clearing a required OIDC field is refused although the request did not send a value.
    assert.deepEqual(check(sso, { protocol: 'oidc', discovery_url: 'https://idp', client_id: null, client_secret: 's' }, { client_id: null }).map(([a]) => a), ['client_id']);
  });

  it('derives the documentation notes from the rules', () => {
    assert.deepEqual(ruleNotes(hub, 'region'), ['Required when mode is "B".']);
    assert.deepEqual(ruleNotes(hub, 'mtls_endpoint_url'), ['Required when mode is "C".', 'Not allowed when mode is "A" or "B".']);
    assert.deepEqual(ruleNotes(sso, 'metadata_xml'), ['Not allowed when protocol is "oidc".', 'Conflicts with metadata_url.']);
    assert.deepEqual(ruleNotes(sso, 'idp_sso_url'), [
      'Not allowed when protocol is "oidc".',
      'Conflicts with metadata_url, metadata_xml.',
      'Required when protocol is "saml" and metadata_url is not set and metadata_xml is not set.',
    ]);
    // The generated descriptions carry the same notes.
    assert.match(hub.attributes.region!.description, /Required when mode is "B"\.$/);
    assert.deepEqual(ruleNotes(hub, 'mode'), []);
  });
});
