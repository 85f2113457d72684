/** Check's rules on shapes the catalog allows but today's entries may not use yet. */
import assert from 'node:assert/strict';
import { resourceByName, type ResourceDef } from '@claresia/catalog';
import { checkInputs } from '../../pulumi-package/src/provider/check.js';
import { diffResource } from '../../pulumi-package/src/provider/diff.js';
import { UNKNOWN } from '../../pulumi-package/src/provider/values.js';
import { launchPlugin, req, urnOf, type Plugin } from './support/engine.js';

const hub = resourceByName('hub');

const def: ResourceDef = {
  name: 'probe',
  title: 'Probe',
  description: 'A synthetic resource.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: { create: { method: 'POST', path: '/p' }, read: { method: 'GET', path: '/p/{id}' }, update: { method: 'PATCH', path: '/p/{id}' } },
  importId: { format: '{id}', example: 'p_1' },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'id' },
    allow_from: { type: { list: 'string' }, mode: 'optional', format: 'cidr', maxItems: 2, description: 'CIDRs' },
    rule_set: {
      type: { object: { max_rate: { type: 'integer', mode: 'required', minimum: 1, description: 'rate' }, label_name: { type: 'string', mode: 'optional', description: 'label' } } },
      mode: 'optional',
      description: 'nested',
    },
  },
  terraformExample: '',
};

describe('pulumi Check and Diff on collections and nested objects', () => {
  it("applies a collection's element rules to each element and names the element", async () => {
    const f = await checkInputs(def, { allowFrom: ['10.0.0.0/8', 'not-a-cidr'] });
    assert.deepEqual(f.map((x) => x.property), ['allowFrom']);
    assert.equal(f[0]!.reason, 'allowFrom[1] must be a CIDR block such as 203.0.113.0/24', 'the format named, as the API and terraform plan name it');
    assert.deepEqual(await checkInputs(def, { allowFrom: ['10.0.0.0/8'] }), []);
    const hostBits = await checkInputs(def, { allowFrom: ['10.0.0.0/8', '10.1.2.3/16'] });
    assert.deepEqual(hostBits, [{ property: 'allowFrom', reason: 'allowFrom[1] has host bits set; write the network address (e.g. 203.0.113.0/24)' }], 'what the API checks beyond the pattern');
    assert.match((await checkInputs(def, { allowFrom: ['1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8'] }))[0]!.reason, /^allowFrom must have at most 2 items$/);
  });

  it('refuses a group mapping outside the claresia- namespace in the words the API uses, whatever its length', async () => {
    const gm = resourceByName('group_mapping');
    for (const group of ['abcdefghijklmn', 'admins', 'claresia-']) {
      assert.deepEqual(await checkInputs(gm, { group, role: 'member' }), [{ property: 'group', reason: 'group must be an RBAC group: claresia- and a name, such as claresia-data-pilot' }], group);
    }
    assert.deepEqual(await checkInputs(gm, { group: 'Claresia-Data-Pilot', role: 'member' }), []);
  });

  it('checks nested objects under their camelCase names, and skips unknown values', async () => {
    const f = await checkInputs(def, { ruleSet: { maxRate: 0, labelName: 'x' } });
    assert.deepEqual(f.map((x) => x.reason), ['ruleSet.maxRate must be at least 1']);
    assert.deepEqual(await checkInputs(def, { ruleSet: { maxRate: 5 } }), []);
    assert.deepEqual(await checkInputs(def, { ruleSet: { maxRate: UNKNOWN } }), []);
  });

  it('refuses an http:// URL to a public host as no control plane takes it; http to a private address is the API\'s to judge', async () => {
    const wh = resourceByName('webhook');
    assert.deepEqual(await checkInputs(wh, { url: 'http://hooks.example.com/x', events: ['user.created'], secret: 'whsec-0123456789abcdef0123456789abcdef' }), [
      { property: 'url', reason: 'url must be an https:// URL (http:// only to a loopback or private address, which a development control plane accepts)' },
    ]);
    assert.deepEqual(await checkInputs(wh, { url: 'http://127.0.0.1:9/x', events: ['user.created'], secret: 'whsec-0123456789abcdef0123456789abcdef' }), []);
    const llm = resourceByName('llm_connector');
    assert.equal((await checkInputs(llm, { platform: 'claude', name: 'x', credential: 'sk-12345678', baseUrl: 'http://api.example.com' }))[0]?.property, 'baseUrl');
  });

  it('compares CIDRs as the API spells them', () => {
    const dir = resourceByName('scim_directory');
    const olds = { idp: 'okta', ipAllowlist: ['2001:db8::/32'] };
    assert.deepEqual(diffResource(dir, olds, { idp: 'okta', ipAllowlist: ['2001:DB8::/32', '2001:0db8::/32'] }, olds).changes, []);
    assert.equal(diffResource(dir, olds, { idp: 'okta', ipAllowlist: ['2001:db9::/32'] }, olds).changes.length, 1);
  });

  it('takes an empty map and no map as the same, not as a replacement', () => {
    const sync = resourceByName('roster_sync');
    assert.deepEqual(diffResource(sync, { triggers: {} }, {}, { triggers: {} }).changes, []);
    assert.deepEqual(diffResource(sync, {}, { triggers: {} }, {}).changes, []);
    assert.deepEqual(diffResource(sync, { triggers: {} }, { triggers: { round: '2' } }, { triggers: {} }).changes, [{ property: 'triggers', kind: 'update', replace: true }]);
  });

  it('compares nested objects in the API form', () => {
    const olds = { ruleSet: { maxRate: 5, labelName: 'a' } };
    assert.equal(diffResource(def, olds, { ruleSet: { maxRate: 5, labelName: 'a' } }, olds).changes.length, 0);
    assert.deepEqual(diffResource(def, olds, { ruleSet: { maxRate: 6, labelName: 'a' } }, olds).changes, [{ property: 'ruleSet', kind: 'update', replace: false }]);
    assert.deepEqual(diffResource(def, olds, {}, olds).changes, [{ property: 'ruleSet', kind: 'delete', replace: false }]);
  });
});

describe("pulumi Check on the catalog's rules over several inputs", function () {
  this.timeout(30_000);
  let p: Plugin | undefined;
  after(async () => {
    await p?.stop();
  });

  it('the engine gets each failure on the offending property, named in camelCase', async () => {
    p = await launchPlugin();
    const failures = async (type: string, inputs: Record<string, unknown>) =>
      (await p!.call<any>('check', req.check(urnOf(type, 'x'), inputs))).getFailuresList().map((f: any) => [f.getProperty(), f.getReason()]);
    assert.deepEqual(await failures('Hub', { mode: 'B' }), [['region', 'region is required in Mode B (the region the dedicated Hub and its CMEK key live in)']]);
    assert.deepEqual(await failures('Hub', { mode: 'A', mtlsEndpointUrl: 'https://hub.example' }), [['mtlsEndpointUrl', 'mtlsEndpointUrl is only used in Mode C']]);
    assert.deepEqual(await failures('Hub', { mode: 'B', region: 'eu-west-1' }), []);
    assert.deepEqual(await failures('SsoConnection', { name: 'Okta', protocol: 'saml', metadataXml: '<x/>', idpEntityId: 'urn:idp' }), [
      ['idpEntityId', 'idpEntityId is read from the metadata; leave it out when metadataUrl or metadataXml is given'],
    ]);
  });

  it('reports nothing while a value a rule reads is an unresolved output', async () => {
    assert.deepEqual(await checkInputs(hub, { mode: UNKNOWN }), []);
    assert.deepEqual(await checkInputs(hub, { mode: 'B', region: UNKNOWN }), []);
    assert.deepEqual(await checkInputs(hub, { mode: 'A', customerCaCertificate: UNKNOWN }), []);
    assert.deepEqual((await checkInputs(hub, { mode: 'C', mtlsEndpointUrl: UNKNOWN })).map((f) => f.property), ['customerCaCertificate']);
  });
});
