/**
 * Secrets the engine hands the plugin stay secrets in everything it hands back, wherever the
 * program put them: inside a list or a map, in the provider's own settings, and in the text of
 * an error. Driven over gRPC as the engine drives it, against a real control plane.
 */
import assert from 'node:assert/strict';
import type { ResourceDef } from '@claresia/catalog';
import { GenericResource } from '../../pulumi-package/src/provider/resource.js';
import { redact, secretTexts } from '../../pulumi-package/src/provider/redact.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { isSecret, js, launchPlugin, pb, req, secret, struct, UNKNOWN, urnOf, type Plugin } from './support/engine.js';

const NONE = pb.DiffResponse.DiffChanges.DIFF_NONE;

/** True when the value, or anything inside it, is a secret. */
const holdsSecret = (v: unknown): boolean =>
  isSecret(v) || (Array.isArray(v) ? v.some(holdsSecret) : typeof v === 'object' && v !== null && Object.values(v).some(holdsSecret));

describe('pulumi outputs of an input holding a secret inside an object', () => {
  // No catalog entry has an object-typed attribute yet; the generic resource must cover one.
  const def: ResourceDef = {
    name: 'probe',
    title: 'Probe',
    description: 'A synthetic resource.',
    auth: 'tenant',
    schemaVersion: 1,
    idAttribute: 'id',
    api: { create: { method: 'POST', path: '/p' }, read: { method: 'GET', path: '/p/{id}' } },
    importId: { format: '{id}', example: 'p_1' },
    attributes: {
      id: { type: 'string', mode: 'computed', description: 'id' },
      rule_set: {
        type: { object: { max_rate: { type: 'integer', mode: 'required', description: 'rate' }, label_name: { type: 'string', mode: 'optional', description: 'label' } } },
        mode: 'optional',
        description: 'nested',
      },
      note: { type: 'string', mode: 'optional', description: 'plain' },
    },
    terraformExample: '',
  };

  it('is secret as a whole, from the inputs or from the prior outputs', () => {
    const r = new GenericResource(def);
    const api = { id: 'p_1', rule_set: { max_rate: 5, label_name: 'covert' }, note: 'n' };
    const fromInputs = r.outputs(api, {}, { ruleSet: { maxRate: 5, labelName: secret('covert') }, note: 'n' });
    assert.deepEqual(fromInputs.ruleSet, secret({ maxRate: 5, labelName: 'covert' }));
    assert.equal(fromInputs.note, 'n');
    const fromPrior = r.outputs(api, { ruleSet: { maxRate: 5, labelName: secret('covert') } }, {});
    assert.deepEqual(fromPrior.ruleSet, secret({ maxRate: 5, labelName: 'covert' }));
  });
});

describe('pulumi error text and secret inputs', () => {
  it('masks each secret as sent, trimmed, in any case and URL-encoded; plain values stay', () => {
    const hide = secretTexts({ name: secret(' Acme Covert '), tags: ['open', secret('Ab/c')], plain: 'visible' }, undefined, { n: { deep: secret({ k: 42 }) } });
    assert.deepEqual(hide.sort(), [' Acme Covert ', '42', 'Ab/c'].sort());
    assert.equal(
      redact('name "acme covert" refused; tag ab/c at /x/Ab%2Fc, open and visible, 42 items', hide),
      'name "[secret]" refused; tag [secret] at /x/[secret], open and visible, [secret] items',
    );
    assert.equal(redact('same text', []), 'same text');
  });
});

for (const kind of dbKinds()) {
  describe(`pulumi secrets nested in inputs, config and errors [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let p: Plugin;

    before(async () => {
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant({ deployment_mode: 'A' });
      p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
    });
    after(async () => {
      await p?.stop();
      await cp?.close();
    });

    it('a secret element of a set makes the whole output secret on preview, create, diff, refresh and update', async () => {
      const U = urnOf('ScimDirectory', 'nested');
      // What the SDK sends for ipAllowlist: ['192.168.1.0/24', pulumi.secret('10.9.0.0/16')].
      const inputs = { idp: 'okta', ipAllowlist: ['192.168.1.0/24', secret('10.9.0.0/16')] };
      const checked = js((await p.call<any>('check', req.check(U, inputs))).getInputs());
      assert.ok(holdsSecret(checked.ipAllowlist), 'Check keeps the secret');

      const preview = js((await p.call<any>('create', req.create(U, checked, true))).getProperties());
      assert.deepEqual(preview.ipAllowlist, secret(['10.9.0.0/16', '192.168.1.0/24']));

      const created = await p.call<any>('create', req.create(U, checked));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.deepEqual(outs.ipAllowlist, secret(['10.9.0.0/16', '192.168.1.0/24']), 'create returns it secret');
      assert.ok(isSecret(outs.bearerToken));
      assert.equal(typeof outs.endpointUrl, 'string', 'other outputs stay plain');
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, checked, checked))).getChanges(), NONE, 'secretness alone is no change');

      const refreshed = await p.call<any>('read', req.read(U, id, outs, checked));
      assert.deepEqual(js(refreshed.getProperties()).ipAllowlist, outs.ipAllowlist, 'refresh returns it secret');
      assert.ok(holdsSecret(js(refreshed.getInputs()).ipAllowlist), 'and keeps the input secret');

      // State written before outputs were wrapped: the outputs in clear, the inputs holding the secret.
      const clearOuts = { ...outs, ipAllowlist: ['10.9.0.0/16', '192.168.1.0/24'] };
      const healed = js((await p.call<any>('read', req.read(U, id, clearOuts, checked))).getProperties());
      assert.deepEqual(healed.ipAllowlist, outs.ipAllowlist, 'a refresh of such a state returns it secret');
      assert.equal((await p.call<any>('diff', req.diff(U, id, clearOuts, checked, checked))).getChanges(), NONE);

      const next = { idp: 'okta', ipAllowlist: ['172.16.0.0/12', secret('10.9.0.0/16')] };
      const previewUpdate = js((await p.call<any>('update', req.update(U, id, clearOuts, next, true, checked))).getProperties());
      assert.deepEqual(previewUpdate.ipAllowlist, secret(['10.9.0.0/16', '172.16.0.0/12']));
      const updated = js((await p.call<any>('update', req.update(U, id, clearOuts, next, false, checked))).getProperties());
      assert.deepEqual(updated.ipAllowlist, secret(['10.9.0.0/16', '172.16.0.0/12']), 'update returns it secret');
      // The engine's Update with nothing to change (a retry after init errors) answers with the outputs in state.
      const unchanged = js((await p.call<any>('update', req.update(U, id, { ...updated, ipAllowlist: reveal(updated.ipAllowlist) }, next, false, next))).getProperties());
      assert.deepEqual(unchanged.ipAllowlist, updated.ipAllowlist, 'even then it is secret');

      // Refresh after the API changed the value outside Pulumi: the input stays secret.
      const patched = await cp.request('PATCH', `/api/v1/identity/scim/directories/${id}`, { token: t.token, body: { ip_allowlist: ['10.9.0.0/16'] } });
      assert.ok(patched.status < 300, patched.text);
      const drifted = await p.call<any>('read', req.read(U, id, updated, next));
      assert.deepEqual(js(drifted.getProperties()).ipAllowlist, secret(['10.9.0.0/16']));
      assert.deepEqual(js(drifted.getInputs()).ipAllowlist, secret(['10.9.0.0/16']), 'the drifted input in state is not in clear');
      await p.call('delete', req.delete(U, id, updated));
    });

    it('a secret value of a map makes the whole output secret on preview, create and refresh', async () => {
      const U = urnOf('RosterSync', 'nested');
      const inputs = { triggers: { directory: 'scim_1', rotated: secret('2026-12-01T00:00:00Z') } };
      const preview = js((await p.call<any>('create', req.create(U, inputs, true))).getProperties());
      assert.deepEqual(preview.triggers, secret({ directory: 'scim_1', rotated: '2026-12-01T00:00:00Z' }), 'the preview wraps it as create will');
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      const outs = js(created.getProperties());
      assert.deepEqual(outs.triggers, secret({ directory: 'scim_1', rotated: '2026-12-01T00:00:00Z' }), 'create returns it secret');
      assert.equal((await p.call<any>('diff', req.diff(U, id, outs, inputs, inputs))).getChanges(), NONE);
      const refreshed = js((await p.call<any>('read', req.read(U, id, { ...outs, triggers: reveal(outs.triggers) }, inputs))).getProperties());
      assert.deepEqual(refreshed.triggers, outs.triggers, 'refresh returns it secret');
      await p.call('delete', req.delete(U, id, outs));
    });

    it('CheckConfig returns the secret settings wrapped, once; Configure and DiffConfig take them', async () => {
      const bare = await launchPlugin();
      try {
        const news = { endpoint: cp.url, clientId: t.clientId, clientSecret: t.clientSecret };
        const res = await bare.call<any>('checkConfig', req.checkConfig(news));
        assert.equal(res.getFailuresList().length, 0);
        const checked = js(res.getInputs());
        assert.deepEqual(checked, { endpoint: cp.url, clientId: t.clientId, clientSecret: secret(t.clientSecret) });
        const again = js((await bare.call<any>('checkConfig', req.checkConfig(checked))).getInputs());
        assert.deepEqual(again, checked, 'an already wrapped value is not wrapped twice');
        const token = js((await bare.call<any>('checkConfig', req.checkConfig({ endpoint: cp.url, token: 'tok_PLAIN' }))).getInputs());
        assert.deepEqual(token.token, secret('tok_PLAIN'));
        const pending = js((await bare.call<any>('checkConfig', req.checkConfig({ endpoint: cp.url, clientId: UNKNOWN, clientSecret: UNKNOWN }))).getInputs());
        assert.equal(pending.clientId, UNKNOWN);
        assert.ok(isSecret(pending.clientSecret) && pending.clientSecret.value === UNKNOWN, 'an unknown secret setting is an unknown secret');

        const diffConfig = (olds: Record<string, unknown>, n: Record<string, unknown>) => {
          const r = new pb.DiffRequest();
          r.setUrn('urn:pulumi:dev::proj::pulumi:providers:claresia::acme');
          r.setOlds(struct(olds));
          r.setNews(struct(n));
          return bare.call<any>('diffConfig', r);
        };
        assert.equal((await diffConfig(news, checked)).getChanges(), NONE, 'state recorded in clear plans no change against the wrapped settings');
        const rotated = await diffConfig(checked, { ...checked, clientSecret: secret('cs_other') });
        assert.deepEqual(rotated.getDiffsList(), ['clientSecret']);

        await bare.call('configure', req.configure(checked));
        const U = urnOf('ScimDirectory', 'sa');
        const created = await bare.call<any>('create', req.create(U, { idp: 'okta' }));
        assert.match(created.getId(), /^scim_/, 'the service account configured from wrapped settings authenticates');
        await bare.call('delete', req.delete(U, created.getId(), js(created.getProperties())));
      } finally {
        await bare.stop();
      }
    });

    it('an API error that repeats a secret input never shows its value', async () => {
      const op = await launchPlugin();
      try {
        await op.call('configure', req.configure({ endpoint: cp.url, token: secret(cp.operatorToken) }));
        const T = urnOf('Tenant', 'dup');
        const hidden = `covert${Date.now().toString(36)}`;
        const inputs = { slug: hidden, displayName: 'Covert', region: 'eu-west-1', deploymentMode: 'B', billingContact: 'b@covert.example' };
        const first = await op.call<any>('create', req.create(T, inputs));
        await assert.rejects(op.call('create', req.create(T, { ...inputs, slug: secret(hidden) })), (e: Error) => {
          assert.match(e.message, /Tenant: .*already taken.*409.*property slug/);
          assert.doesNotMatch(e.message, new RegExp(hidden, 'i'));
          return true;
        });
        // Redaction is not by case alone: a plain slug stays readable.
        await assert.rejects(op.call('create', req.create(T, inputs)), new RegExp(`slug "${hidden}" is already taken`));
        await op.call('delete', req.delete(T, first.getId(), js(first.getProperties())));
      } finally {
        await op.stop();
      }
    });
  });
}

function reveal(v: unknown): unknown {
  return isSecret(v) ? v.value : v;
}
