/**
 * The two catalog answers both IaC providers act on (review r9 F1, F5): which returned-once
 * values a read shows were rotated since they were given, and which object a create's 409
 * names. Each rotation flag names attributes the resource has.
 */
import assert from 'node:assert/strict';
import { existingObjectId, resourceByName, resources, rotatedOutside } from '@claresia/catalog';

describe('catalog: values rotated outside the IaC tools', () => {
  const scim = resourceByName('scim_directory');
  const api = { id: 'scim_0123456789abcdef', bearer_token: null, token_rotated_at: '2026-12-02T08:00:05.000Z', previous_token_expires_at: null };
  const held = (values: Record<string, unknown>) => (name: string) => values[name];

  it('names every rotation attribute the resource has', () => {
    for (const def of resources) {
      for (const [name, attr] of Object.entries(def.attributes)) {
        if (!attr.rotation) continue;
        assert.ok(attr.returnedOnce, `${def.name}.${name}: only a value returned once is rotated outside`);
        assert.equal(def.attributes[attr.rotation.rotatedAt]?.mode, 'computed', `${def.name}.${name}: ${attr.rotation.rotatedAt}`);
        if (attr.rotation.previousExpiresAt) assert.equal(def.attributes[attr.rotation.previousExpiresAt]?.mode, 'computed');
        assert.match(attr.rotation.path, /^\/api\/v1\/.*\{id\}.*:rotate$/);
      }
    }
    assert.ok(scim.attributes.bearer_token!.rotation);
    assert.ok(resourceByName('llm_connector').attributes.ingest_credential!.rotation);
  });

  it('a rotation time that moved marks the held value, with the path to rotate and the overlap', () => {
    const found = rotatedOutside(scim, held({ bearer_token: 'scim_old', token_rotated_at: '2026-12-02T07:00:00.000Z' }), { ...api, previous_token_expires_at: '2026-12-02T09:00:05.000Z' });
    assert.deepEqual(found, [
      {
        attribute: 'bearer_token',
        rotatedAtAttribute: 'token_rotated_at',
        rotatedAt: '2026-12-02T08:00:05.000Z',
        previousWorksUntil: '2026-12-02T09:00:05.000Z',
        rotatePath: '/api/v1/identity/scim/directories/scim_0123456789abcdef/token:rotate',
        replacing: scim.attributes.bearer_token!.rotation!.replacing,
      },
    ]);
  });

  it('says nothing for the same instant however written, nothing held, or no time held beside it', () => {
    assert.deepEqual(rotatedOutside(scim, held({ bearer_token: 'scim_old', token_rotated_at: '2026-12-02T08:00:05Z' }), api), []);
    assert.deepEqual(rotatedOutside(scim, held({ bearer_token: null, token_rotated_at: '2026-12-02T07:00:00.000Z' }), api), [], 'an import holds none');
    assert.deepEqual(rotatedOutside(scim, held({ bearer_token: 'scim_old', token_rotated_at: null }), api), [], 'a state from before the time was kept');
    assert.deepEqual(rotatedOutside(resourceByName('tenant'), held({ client_secret: 'cs_old' }), { id: 'tnt_1', client_secret: null }), [], 'no rotation time to go by');
  });
});

describe('catalog: the object a refused create names', () => {
  const gm = resourceByName('group_mapping');

  it('is the id of this resource in a 409, and nothing else', () => {
    const msg = 'group "claresia-users" is already mapped by gm_5dea5397139641ed; change that mapping instead';
    assert.equal(existingObjectId(gm, 409, msg), 'gm_5dea5397139641ed');
    assert.equal(existingObjectId(gm, 400, msg), undefined);
    assert.equal(existingObjectId(gm, 409, 'group "claresia-users" is already mapped'), undefined);
    assert.equal(existingObjectId(gm, 409, 'archetype grant refers to hub_0c4f7a92d1e8b635'), undefined, 'another resource id is not this one');
    assert.equal(existingObjectId(resourceByName('cowork'), 409, 'pack go-to-market is already applied; change it with PATCH'), undefined, 'imports by pack, not by an id');
  });
});
