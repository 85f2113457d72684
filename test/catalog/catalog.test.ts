import assert from 'node:assert/strict';
import {
  createSchema,
  dataSources,
  immutableAttributes,
  normalizeValue,
  resources,
  resourceByName,
  responseSchema,
  updateSchema,
  type Attribute,
  type AttrType,
} from '@claresia/catalog';

function* walk(attrs: Record<string, Attribute>, prefix = ''): Generator<[string, Attribute]> {
  for (const [name, a] of Object.entries(attrs)) {
    yield [prefix + name, a];
    const t = a.type as AttrType;
    if (typeof t === 'object' && 'object' in t) yield* walk(t.object, `${prefix}${name}.`);
  }
}

describe('resource catalog', () => {
  it('derives create, update and response schemas for the tenant', () => {
    const t = resourceByName('tenant');
    const create = createSchema(t) as any;
    assert.deepEqual(create.required.sort(), ['billing_contact', 'deployment_mode', 'display_name', 'region', 'slug']);
    assert.equal(create.additionalProperties, false);
    assert.ok(!('client_secret' in create.properties));
    const update = updateSchema(t) as any;
    assert.ok(!('slug' in update.properties) && !('region' in update.properties));
    assert.equal(update.required, undefined);
    assert.ok('client_secret' in (responseSchema(t) as any).properties);
    assert.deepEqual(immutableAttributes(t).sort(), ['deployment_mode', 'region', 'slug']);
  });

  it('normalises values in one place', () => {
    const t = resourceByName('tenant');
    assert.equal(normalizeValue(t.attributes.billing_contact!, '  Billing@ACME.example '), 'billing@acme.example');
    assert.equal(normalizeValue(t.attributes.display_name!, ' Acme '), 'Acme');
    assert.deepEqual(normalizeValue({ type: { set: 'string' }, mode: 'optional', description: '', normalize: 'sorted_set' }, ['b', 'a', 'b']), ['a', 'b']);
    assert.equal(normalizeValue(t.attributes.billing_contact!, null), null);
  });

  it('spells a CIDR one way, so a set holds each network once and a plan compares it as stored', () => {
    const allow = resourceByName('scim_directory').attributes.ip_allowlist!;
    assert.deepEqual(normalizeValue(allow, ['2001:DB8::/32', '2001:0db8::/32', '2001:db8::/32', '203.0.113.0/24', '2001:db8:0:0:1:0:0:0/80']), [
      '2001:db8:0:0:1::/80',
      '2001:db8::/32',
      '203.0.113.0/24',
    ]);
    // What is no CIDR stays as given, for the format check to refuse in its own words.
    assert.deepEqual(normalizeValue(allow, ['not-a-cidr', '2001:db8::1/32']), ['2001:db8::1/32', 'not-a-cidr']);
  });

  // These invariants are what the IaC layers rely on when they derive schemas generically.
  for (const r of resources) {
    describe(`entry ${r.name}`, () => {
      it('is well formed', () => {
        assert.match(r.name, /^[a-z][a-z0-9_]*$/);
        assert.match(r.title, /^[A-Z][A-Za-z0-9]*$/);
        const id = r.attributes[r.idAttribute];
        assert.ok(id, `id attribute ${r.idAttribute} is declared`);
        assert.ok(r.importId.format.includes('{'), 'the import ID format names its parts');
        for (const op of [r.api.read, r.api.update, r.api.delete]) if (op) assert.match(op.path, /\{id\}/, `${op.method} ${op.path} addresses one instance`);
        assert.equal(r.api.create.method, 'POST');
        assert.ok(r.terraformExample.includes(`claresia_${r.name}`), 'the example uses the resource');
        assert.ok(r.description.length > 10);
        assert.ok(Number.isInteger(r.schemaVersion) && r.schemaVersion >= 0);
        if (r.async) assert.ok(r.attributes[r.async.attribute], 'the async status attribute exists');
      });
      it('has consistent attribute flags', () => {
        for (const [path, a] of walk(r.attributes)) {
          assert.match(path, /^[a-z][a-z0-9_.]*$/, `${path} is snake_case`);
          assert.ok(a.description, `${path} has a description`);
          if (a.writeOnly) assert.notEqual(a.mode, 'computed', `${path}: write-only values are inputs`);
          if (a.returnedOnce) assert.ok(a.sensitive, `${path}: a value shown once is a secret`);
          if (a.default !== undefined) assert.equal(a.mode, 'optional_computed', `${path}: a default means optional_computed`);
          if (a.enum) assert.ok(a.enum.length > 0);
          if (a.forceNew) assert.notEqual(a.mode, 'computed', `${path}: only inputs force replacement`);
        }
      });
    });
  }

  it('has unique names and paths', () => {
    const names = [...resources, ...dataSources].map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    const creates = resources.map((r) => `${r.api.create.method} ${r.api.create.path}`);
    assert.equal(new Set(creates).size, creates.length);
  });
});

describe('CA bundles at plan time', () => {
  it('refuses what is not a CA bundle, and leaves the dates to the API: a CA that expired in an unchanged bundle must not stop every plan', async () => {
    const { formatProblemBeyondSchema, inspectCaBundle } = await import('@claresia/catalog');
    const { selfSigned } = await import('../support/platforms/certs.js');
    const leaf = await selfSigned('hub.acme.example', { ca: false });
    const expired = await selfSigned('Old CA', { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    assert.equal(formatProblemBeyondSchema('pem-ca-bundle', leaf.pem), 'must hold only CA certificates: the certificate is not a CA certificate (basicConstraints CA:TRUE is missing)');
    assert.equal(formatProblemBeyondSchema('pem-ca-bundle', expired.pem), undefined);
    assert.throws(() => inspectCaBundle(expired.pem), /expired on 2021-01-01/, 'the API still refuses it when it is given');
  });
});
