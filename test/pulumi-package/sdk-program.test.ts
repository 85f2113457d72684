/**
 * The TypeScript SDK in Pulumi programs, run under `pulumi.runtime.setMocks` (no engine):
 * type tokens and camelCase inputs on the wire, secrets marked secret, required arguments,
 * `get()` lookups, and the Mode B example program end to end.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import * as claresia from '@claresia/pulumi';
import { SECRET, SIG } from './support/engine.js';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
  id?: string;
}

const registered: Registered[] = [];
let nextId = 0;

/** Plays the provider: echoes inputs and makes up the values the API would compute. */
const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, id: args.id });
    const id = args.id || `${args.type.split(':').pop()!.toLowerCase()}_${++nextId}`;
    const state: Record<string, unknown> = { ...args.inputs };
    switch (args.type) {
      case 'claresia:index:Tenant':
        Object.assign(state, { status: 'onboarding', clientId: `sa_${id}`, clientSecret: `secret-of-${id}`, supportTier: args.inputs.supportTier ?? 'standard' });
        if (args.id) Object.assign(state, { slug: 'looked-up', region: 'us-east-1' });
        break;
      case 'claresia:index:Hub':
        Object.assign(state, { status: 'ready', cmekKeyId: `cmek_${id}`, tenantId: 'tnt_1' });
        break;
      case 'claresia:index:ScimDirectory':
        Object.assign(state, { endpointUrl: `https://cp.example/scim/v2/${id}`, bearerToken: `scim-token-${id}` });
        break;
      case 'claresia:index:SsoConnection':
        Object.assign(state, { acsUrl: `https://cp.example/sso/${id}/acs`, audienceUri: `https://cp.example/sso/${id}`, status: 'untested' });
        break;
      case 'claresia:index:LlmConnector':
        delete state.credential; // write-only: never comes back
        Object.assign(state, { status: 'untested' });
        break;
    }
    return { id, state };
  },
  call(args) {
    calls.push({ token: args.token, inputs: args.inputs, provider: args.provider });
    return args.token === 'claresia:index:getTenantHealth' ? { overall: 'red', checks: [{ name: 'hub', status: 'red', reason: 'no Hub yet' }] } : {};
  },
};
const calls: Array<{ token: string; inputs: unknown; provider?: string }> = [];

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));

describe('pulumi SDK in programs (setMocks)', () => {
  before(() => pulumi.runtime.setMocks(mocks, 'claresia-test', 'dev', false));
  beforeEach(() => (registered.length = 0));

  it('a Tenant registers under claresia:index:Tenant with camelCase inputs and typed outputs', async () => {
    const t = new claresia.Tenant('acme', { slug: 'acme', displayName: 'Acme', region: 'eu-west-1', deploymentMode: 'B', billingContact: 'billing@acme.example' });
    assert.equal(await value(t.id), 'tenant_' + nextId);
    assert.equal(await value(t.status), 'onboarding');
    assert.equal(await value(t.supportTier), 'standard');
    const reg = registered.find((r) => r.name === 'acme')!;
    assert.equal(reg.type, 'claresia:index:Tenant');
    assert.deepEqual(Object.keys(reg.inputs).sort(), ['billingContact', 'deploymentMode', 'displayName', 'region', 'slug']);
    assert.ok(claresia.Tenant.isInstance(t));
    assert.ok(!claresia.Hub.isInstance(t));
  });

  it('asks the engine to keep shown-once and sensitive outputs secret, and sends secret inputs as secrets', async () => {
    const seen: Record<string, string[] | undefined> = {};
    const spy = (args: pulumi.ResourceTransformationArgs) => {
      seen[args.type] = (args.opts as pulumi.CustomResourceOptions).additionalSecretOutputs as string[] | undefined;
      return undefined;
    };
    const t = new claresia.Tenant('sec', { slug: 'sec', displayName: 'S', region: 'eu-west-1', deploymentMode: 'A', billingContact: 'b@s.example' }, { transformations: [spy] });
    const scim = new claresia.ScimDirectory('okta', { idp: 'okta' }, { transformations: [spy] });
    const llm = new claresia.LlmConnector('claude', { platform: 'claude', name: 'Claude', credential: 'sk-ant-secret-value' }, { transformations: [spy] });
    await value(llm.id);
    assert.deepEqual(seen['claresia:index:Tenant'], ['clientSecret']);
    assert.deepEqual(seen['claresia:index:ScimDirectory'], ['bearerToken']);
    assert.equal(await value(scim.bearerToken), `scim-token-${await value(scim.id)}`);
    // A plain string given for a write-only credential is wrapped as a secret before it leaves the program.
    const args = registered.find((r) => r.type === 'claresia:index:LlmConnector')!;
    assert.deepEqual(args.inputs.credential, { [SIG]: SECRET, value: 'sk-ant-secret-value' });
    assert.equal(args.inputs.name, 'Claude', 'other inputs stay plain');
    assert.equal(await value(t.clientId), `sa_${await value(t.id)}`);
    const p = new claresia.Provider('tenant', { endpoint: 'https://cp.example', clientId: t.clientId, clientSecret: t.clientSecret });
    assert.ok(claresia.Provider.isInstance(p));
  });

  it('a required argument left out fails in the program, naming it', () => {
    assert.throws(() => new claresia.Hub('h', {} as claresia.HubArgs), /Missing required property 'mode'/);
    assert.throws(() => new claresia.Tenant('t', { slug: 'x' } as claresia.TenantArgs), /Missing required property 'displayName'/);
  });

  it('Tenant.get looks an existing tenant up by id', async () => {
    const t = claresia.Tenant.get('existing', 'tnt_0123456789abcdef');
    assert.equal(await value(t.id), 'tnt_0123456789abcdef');
    assert.equal(await value(t.slug), 'looked-up');
    assert.equal(registered.find((r) => r.name === 'existing')?.id, 'tnt_0123456789abcdef');
  });

  it('functions: getTenantHealth as a promise and as an Output, through an explicit provider', async () => {
    const p = new claresia.Provider('health', { endpoint: 'https://cp.example', token: 'tenant-jwt' });
    const health = await claresia.getTenantHealth({ provider: p });
    assert.equal(health.overall, 'red');
    assert.equal(health.checks?.[0]?.reason, 'no Hub yet');
    assert.equal(await value(claresia.getTenantHealthOutput({ provider: p }).apply((h) => h.overall)), 'red');
    assert.deepEqual(calls.map((c) => c.token), ['claresia:index:getTenantHealth', 'claresia:index:getTenantHealth']);
    assert.match(String(calls[0]!.provider), /pulumi:providers:claresia::health::/);
  });

  it('the Mode B example stands up a tenant, a Mode B Hub and the identity, LLM and skill resources under the tenant provider', async () => {
    // `pulumi config set --secret claudeApiKey ...` under the mocks' project name.
    pulumi.runtime.setConfig('claresia-test:claudeApiKey', 'sk-ant-example-key');
    const mod = await import(pathToFileURL(path.resolve('examples/pulumi-ts/index.ts')).href);
    assert.equal(await value(mod.hubStatus), 'ready');
    assert.match(await value(mod.cmekKeyId), /^cmek_/);
    assert.match(await value(mod.scimEndpointUrl), /\/scim\/v2\//);
    assert.match(await value(mod.acsUrl), /\/acs$/);
    const byType = new Map(registered.map((r) => [r.type, r]));
    assert.equal(byType.get('claresia:index:Tenant')!.inputs.deploymentMode, 'B');
    assert.deepEqual(byType.get('claresia:index:Hub')!.inputs, { mode: 'B', region: 'eu-west-1' });
    assert.deepEqual(byType.get('claresia:index:LlmConnector')!.inputs.credential, { [SIG]: SECRET, value: 'sk-ant-example-key' });
    const provider = byType.get('pulumi:providers:claresia')!;
    assert.equal(provider.name, 'acme');
    const tenantId = await value(mod.tenantId);
    assert.deepEqual(provider.inputs.clientSecret, { [SIG]: SECRET, value: `secret-of-${tenantId}` }, "the tenant's client secret reaches the provider as a secret");
    assert.equal(provider.inputs.clientId, `sa_${tenantId}`);
    for (const t of ['Hub', 'SsoConnection', 'ScimDirectory', 'LlmConnector', 'SkillEntitlement']) {
      const r = byType.get(`claresia:index:${t}`);
      assert.ok(r, `${t} registered`);
      assert.match(String(r.provider), /pulumi:providers:claresia::acme::/, `${t} uses the tenant's provider`);
    }
    assert.equal(byType.get('claresia:index:Tenant')!.provider ?? '', '', 'the tenant itself uses the default (operator) provider');
  });
});
