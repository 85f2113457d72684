/**
 * Pulumi Check on a bad entry of a list-valued input (sets in Terraform, arrays in a program):
 * each bad entry is named by its position in the program's own list, and a preview lists every
 * bad entry at once, whichever check (the API's schema, or what the API checks beyond it) refuses it.
 */
import assert from 'node:assert/strict';
import { resourceByName } from '@claresia/catalog';
import { checkInputs } from '../../pulumi-package/src/provider/check.js';

describe('pulumi Check names each bad entry of a list input', () => {
  it('an allowlist with one entry that is no CIDR and one with host bits set: both reported, each at its index', async () => {
    const f = await checkInputs(resourceByName('scim_directory'), { idp: 'okta', ipAllowlist: ['203.0.113.0/24', '10.0.0.1/8', '::1/129'] });
    assert.deepEqual(f, [
      { property: 'ipAllowlist', reason: 'ipAllowlist[2] must be a CIDR block such as 203.0.113.0/24' },
      { property: 'ipAllowlist', reason: 'ipAllowlist[1] has host bits set; write the network address (e.g. 203.0.113.0/24)' },
    ]);
  });

  it('an entry the schema refuses is not reported twice, and a list over its size still has its entries checked', async () => {
    const dir = resourceByName('scim_directory');
    assert.deepEqual(await checkInputs(dir, { idp: 'okta', ipAllowlist: ['300.0.0.1/8'] }), [{ property: 'ipAllowlist', reason: 'ipAllowlist[0] must be a CIDR block such as 203.0.113.0/24' }]);
    const max = dir.attributes.ip_allowlist!.maxItems;
    assert.ok(max !== undefined, 'ip_allowlist has a size limit');
    const many = Array.from({ length: max + 1 }, (_, i) => `10.${Math.floor(i / 256)}.${i % 256}.0/24`);
    many[3] = '10.200.0.1/16';
    const f = await checkInputs(dir, { idp: 'okta', ipAllowlist: many });
    assert.deepEqual(f.map((x) => x.reason), [`ipAllowlist must have at most ${max} items`, 'ipAllowlist[3] has host bits set; write the network address (e.g. 203.0.113.0/24)']);
  });

  it("a skill id and a webhook event are named by their place in the program's list", async () => {
    const skills = ['claresia.core.email-drafting', 'claresia.gatespic.pipeline-hygiene', 'claresia.gatespic.call_recap'];
    assert.deepEqual(await checkInputs(resourceByName('skill_entitlement'), { archetype: 'legal', skills }), [
      { property: 'skills', reason: 'skills[2] must be a skill id such as claresia.exec.web-research (claresia.<pack>.<skill>)' },
    ]);
    const f = await checkInputs(resourceByName('webhook'), { url: 'https://hooks.example.com/x', events: ['user.exploded', 'user.created'], secret: 'whsec-0123456789abcdef0123456789abcdef' });
    assert.deepEqual(f.map((x) => [x.property, x.reason.split(' must ')[0]]), [['events', 'events[0]']]);
  });
});
