/** The hand-written protobuf codec against bytes a protobuf implementation writes for the same messages. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { decode, encode } from '../../provider/src/proto/wire.js';
import * as tf from '../../provider/src/proto/tfplugin6.js';

// protobufjs comes with grpc-js's proto-loader; it is only a cross-check here, never shipped.
const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');

const root = protobuf.parse(`
syntax = "proto3";
package t;
message DynamicValue { bytes msgpack = 1; bytes json = 2; }
message Step { oneof selector { string attribute_name = 1; string element_key_string = 2; int64 element_key_int = 3; } }
message AttributePath { repeated Step steps = 1; }
message Diagnostic { int32 severity = 1; string summary = 2; string detail = 3; AttributePath attribute = 4; }
message Attr { string name = 1; bytes type = 2; string description = 3; bool required = 4; bool optional = 5; bool computed = 6; bool sensitive = 7; int32 description_kind = 8; bool write_only = 11; }
message Block { int64 version = 1; repeated Attr attributes = 2; string description = 4; }
message Schema { int64 version = 1; Block block = 2; }
message SchemaResp { Schema provider = 1; map<string, Schema> resource_schemas = 2; repeated Diagnostic diagnostics = 4; }
message PlanReq { string type_name = 1; DynamicValue prior_state = 2; DynamicValue proposed_new_state = 3; DynamicValue config = 4; bytes prior_private = 5; }
message RawState { bytes json = 1; map<string, string> flatmap = 2; }
message UpgradeReq { string type_name = 1; int64 version = 2; RawState raw_state = 3; }
`, { keepCase: true }).root;

describe('provider protobuf codec', () => {
  it('decodes a PlanResourceChange request written by protobufjs, skipping fields it does not know', () => {
    const PlanReq = root.lookupType('t.PlanReq');
    const bytes = PlanReq.encode({ type_name: 'claresia_tenant', proposed_new_state: { msgpack: Buffer.from([0x80]) }, config: { json: Buffer.from('{}') }, prior_private: Buffer.from('p') }).finish();
    // Append an unknown field 9 (length-delimited) as a newer Terraform might send.
    const withExtra = Buffer.concat([bytes, Buffer.from([0x4a, 0x02, 0x01, 0x02])]);
    const req = decode(tf.PlanResourceChangeRequest, withExtra);
    assert.equal(req.type_name, 'claresia_tenant');
    assert.equal(req.prior_state, undefined);
    assert.deepEqual([...req.proposed_new_state.msgpack], [0x80]);
    assert.equal(Buffer.from(req.config.json).toString(), '{}');
    assert.equal(Buffer.from(req.prior_private).toString(), 'p');
  });

  it('encodes a schema response (maps, nested and repeated messages, bools) that protobufjs reads back', () => {
    const msg = {
      provider: { version: 0, block: { attributes: [{ name: 'endpoint', type: Buffer.from('"string"'), optional: true }] } },
      resource_schemas: {
        claresia_tenant: { version: 3, block: { version: 3, description: 'd', attributes: [{ name: 'secret', type: Buffer.from('"string"'), optional: true, sensitive: true, write_only: true, description_kind: 1 }] } },
      },
      diagnostics: [{ severity: 2, summary: 's', attribute: { steps: [{ attribute_name: 'tags' }, { element_key_int: 3 }, { element_key_string: 'k' }] } }],
    };
    const back = root.lookupType('t.SchemaResp').toObject(root.lookupType('t.SchemaResp').decode(encode(tf.GetProviderSchemaResponse, msg)), { longs: Number, defaults: false }) as any;
    assert.equal(back.resource_schemas.claresia_tenant.version, 3);
    const a = back.resource_schemas.claresia_tenant.block.attributes[0];
    assert.deepEqual([a.name, a.optional, a.sensitive, a.write_only, a.description_kind], ['secret', true, true, true, 1]);
    assert.deepEqual(back.diagnostics[0].attribute.steps, [{ attribute_name: 'tags' }, { element_key_int: 3 }, { element_key_string: 'k' }]);
    assert.equal(Buffer.from(back.provider.block.attributes[0].type).toString(), '"string"');
  });

  it('round-trips large and negative int64 varints and string maps', () => {
    const UpgradeReq = root.lookupType('t.UpgradeReq');
    for (const version of [0, 1, 300, 2 ** 40, -1]) {
      const bytes = UpgradeReq.encode({ type_name: 'x', version, raw_state: { json: Buffer.from('{}'), flatmap: { a: 'b' } } }).finish();
      const got = decode(tf.UpgradeResourceStateRequest, bytes);
      assert.equal(got.version, version);
      assert.deepEqual(got.raw_state.flatmap, { a: 'b' });
      assert.deepEqual(decode(tf.UpgradeResourceStateRequest, encode(tf.UpgradeResourceStateRequest, got)).version, version);
    }
  });

  it('encodes multi-byte text, string maps and long fields at their exact length', () => {
    const UpgradeReq = root.lookupType('t.UpgradeReq');
    const json = Buffer.from(JSON.stringify({ name: 'Zürich ✓ 😀'.repeat(50) }));
    const msg = { type_name: 'claresia_ünïcode', version: 2 ** 40, raw_state: { json, flatmap: { 'clé': 'välue ✓', a: '', long: 'x'.repeat(300) } } };
    const bytes = encode(tf.UpgradeResourceStateRequest, msg);
    const back = UpgradeReq.toObject(UpgradeReq.decode(bytes), { longs: Number }) as any;
    assert.equal(back.type_name, msg.type_name);
    assert.equal(back.version, 2 ** 40);
    assert.deepEqual(back.raw_state.flatmap, msg.raw_state.flatmap);
    assert.deepEqual(Buffer.from(back.raw_state.json), json);
    assert.deepEqual(bytes, Buffer.from(UpgradeReq.encode(UpgradeReq.fromObject(msg)).finish()));
  });

  it('rejects truncated input instead of reading past it', () => {
    assert.throws(() => decode(tf.PlanResourceChangeRequest, Buffer.from([0x0a, 0x05, 0x61])), /truncated/);
  });
});
