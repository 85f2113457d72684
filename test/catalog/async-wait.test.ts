/**
 * Which updates wait for an asynchronous resource, and what its failure is about: the catalog's
 * answer, which Terraform and Pulumi both ask.
 */
import assert from 'node:assert/strict';
import { inconclusiveReason, reasonInput, resourceByName, resources, updateWaits } from '@claresia/catalog';

describe('catalog: waits of asynchronous resources', () => {
  const connector = resourceByName('llm_connector');
  const hub = resourceByName('hub');

  it('an LLM connector waits for its test after a new credential or base_url, and after nothing else', () => {
    assert.ok(connector.async, 'the connector is asynchronous: the control plane tests it in the background');
    assert.deepEqual(connector.async!.pending, ['untested']);
    assert.deepEqual(connector.async!.ready, ['connected']);
    assert.deepEqual(connector.async!.failed, ['failed']);
    assert.equal(updateWaits(connector, ['credential']), true);
    assert.equal(updateWaits(connector, ['base_url', 'name']), true);
    assert.equal(updateWaits(connector, ['name']), false, 'a rename cannot change the verdict');
    assert.equal(updateWaits(connector, []), false);
    assert.equal(connector.async!.fixableInPlace, true, 'a new credential fixes a failed connector');
  });

  it('a Hub waits after any update, and a resource with no status never does', () => {
    assert.equal(updateWaits(hub, ['customer_ca_certificate']), true);
    assert.equal(updateWaits(hub, []), true);
    assert.ok(!hub.async!.fixableInPlace);
    assert.equal(updateWaits(resourceByName('tenant'), ['display_name']), false);
  });

  it('names the input a failure is about, by its code or by the name it quotes', () => {
    assert.equal(reasonInput(connector, 'invalid_credential: Anthropic rejected the API key (authentication_error); to test it again, send its credential again'), 'credential');
    assert.equal(reasonInput(connector, 'insufficient_scope: the API key may not manage skills'), 'credential');
    assert.equal(reasonInput(connector, 'platform_unreachable: the claude API base_url could not be reached (ECONNREFUSED)'), 'base_url');
    assert.equal(reasonInput(connector, 'platform_error: the claude API answered HTTP 503'), undefined);
    // A 4xx other than 401/403/408/429 is a refused request, most likely a wrong path in base_url.
    assert.equal(reasonInput(connector, 'platform_rejected_request: the claude API answered HTTP 404'), 'base_url');
    assert.equal(reasonInput(hub, "the endpoint's server certificate is not trusted under customer_ca_certificate"), 'customer_ca_certificate');
    assert.equal(reasonInput(hub, undefined), undefined);
  });

  it('tells a test still retrying an unreachable platform from one not run yet', () => {
    const waiting = 'waiting: the automatic test got platform_unreachable: the claude API base_url could not be reached; it is retried';
    assert.equal(inconclusiveReason(connector, { status: 'untested', status_reason: waiting }), waiting);
    assert.equal(inconclusiveReason(connector, { status: 'untested', status_reason: null }), undefined, 'not run yet: keep waiting');
    assert.equal(inconclusiveReason(connector, { status: 'failed', status_reason: waiting }), undefined);
    // A Hub waiting for its customer is the very thing its wait is for.
    assert.equal(inconclusiveReason(hub, { status: 'provisioning', status_reason: "waiting: the endpoint refused the control plane's client certificate" }), undefined);
  });

  for (const r of resources.filter((x) => x.async)) {
    it(`${r.name}: the inputs its waits name are inputs an update can change`, () => {
      const a = r.async!;
      const named = [...(a.updateWaitsOn ?? []), ...Object.values(a.reasonInputs ?? {})];
      for (const n of named) {
        const attr = r.attributes[n];
        assert.ok(attr, `${n} is an attribute of ${r.name}`);
        assert.notEqual(attr!.mode, 'computed', `${n} is an input`);
        assert.ok(!attr!.forceNew, `${n} changes in place`);
      }
      if (a.fixableInPlace) assert.ok(a.updateWaitsOn?.length, 'a failure fixed in place names the inputs that fix it');
      if (a.inconclusiveReasonPrefix) assert.ok(a.reasonAttribute, 'an inconclusive reason is read from the reason attribute');
    });
  }
});
