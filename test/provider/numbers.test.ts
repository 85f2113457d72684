/**
 * Whole numbers beyond 2^53 (review r5 F5): a `*_wo_version` set to a nanosecond timestamp
 * reached the provider rounded, and the plan failed with Terraform's "Provider produced invalid
 * plan". It is refused at validation, naming the attribute, as Terraform encodes it (int64).
 */
import assert from 'node:assert/strict';
import { encode as mpEncode } from '@msgpack/msgpack';
import { resourceByName } from '@claresia/catalog';
import { createProvider, resourceType } from '@claresia/terraform-provider';

const webhook = resourceByName('webhook');
const W = resourceType(webhook);

/** A webhook configuration as Terraform sends it, numbers as int64 when they are whole. */
function config(values: Record<string, unknown>) {
  const all = Object.fromEntries(Object.keys(W.object).map((k) => [k, null]));
  return { msgpack: mpEncode({ ...all, url: 'https://hooks.example.com/x', events: ['user.created'], ...values }, { useBigInt64: true }) };
}

describe('numbers beyond 2^53 in a configuration', () => {
  const p = createProvider();
  const validate = async (values: Record<string, unknown>) => (await p.ValidateResourceConfig!({ type_name: 'claresia_webhook', config: config(values), client_capabilities: { write_only_attributes_allowed: true } })).diagnostics as any[];

  it('refuses a *_wo_version that cannot be carried exactly, at that attribute', async () => {
    const diags = await validate({ secret: 'whsec-value-long-enough-0123456789', secret_wo_version: 1764628000000000001n });
    assert.equal(diags.length, 1, JSON.stringify(diags));
    assert.equal(diags[0].summary, 'Invalid value for secret_wo_version');
    assert.deepEqual(diags[0].attribute.steps, [{ attribute_name: 'secret_wo_version' }]);
    assert.match(diags[0].detail, /between -9007199254740991 and 9007199254740991/);
  });

  it('accepts the largest whole number carried exactly, and a Unix time', async () => {
    assert.deepEqual(await validate({ secret: 'whsec-value-long-enough-0123456789', secret_wo_version: BigInt(Number.MAX_SAFE_INTEGER) }), []);
    assert.deepEqual(await validate({ secret: 'whsec-value-long-enough-0123456789', secret_wo_version: 1764628000 }), []);
  });

  it('refuses one in a catalog number attribute too, naming it', async () => {
    const diags = await validate({ secret_overlap_seconds: 2n ** 60n });
    assert.ok(diags.some((d) => d.summary === 'Invalid value for secret_overlap_seconds' && /9007199254740991/.test(d.detail)), JSON.stringify(diags));
  });
});
