/** The tfplugin6 handlers called directly: plan rules, state upgrades, import IDs, stop, error paths. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceByName } from '@claresia/catalog';
import { createProvider, decodeMsgpack, encodeMsgpack, resolveConfig, resourceType, providerType, UNKNOWN, type ObjectValue } from '@claresia/terraform-provider';
import { selfSigned } from '../support/platforms/certs.js';

const tenant = resourceByName('tenant');
const llm = resourceByName('llm_connector');
const T = resourceType(tenant);
const L = resourceType(llm);

const dv = (t: Parameters<typeof encodeMsgpack>[0], v: any) => ({ msgpack: encodeMsgpack(t, v) });
const NULL = { msgpack: new Uint8Array([0xc0]) };

const priorTenant: ObjectValue = {
  id: 'tnt_1',
  slug: 'acme',
  display_name: 'Acme',
  region: 'eu-west-1',
  deployment_mode: 'A',
  billing_contact: 'Billing@Acme.example',
  support_tier: 'standard',
  status: 'onboarding',
  created_at: '2026-01-01T00:00:00.000Z',
  client_id: 'cl_1',
  client_secret: 'cs_1',
};

describe('provider handlers', () => {
  const p = createProvider();

  it('plans a replacement when a force-new attribute changes, with computed values unknown again', async () => {
    const proposed = { ...priorTenant, region: 'us-east-1' };
    const res = await p.PlanResourceChange!({ type_name: 'claresia_tenant', prior_state: dv(T, priorTenant), proposed_new_state: dv(T, proposed), config: dv(T, { ...proposed, id: null, status: null, created_at: null, client_id: null, client_secret: null, support_tier: null }) });
    assert.deepEqual(res.requires_replace, [{ steps: [{ attribute_name: 'region' }] }]);
    const planned = decodeMsgpack(T, (res.planned_state as any).msgpack) as ObjectValue;
    assert.equal(planned.id, UNKNOWN);
    assert.equal(planned.region, 'us-east-1');
  });

  it('plans an in-place update that keeps computed values, and no replacement for a case-only change the API normalises away', async () => {
    const proposed = { ...priorTenant, display_name: 'Acme Corp', billing_contact: 'billing@acme.example' };
    const res = await p.PlanResourceChange!({ type_name: 'claresia_tenant', prior_state: dv(T, priorTenant), proposed_new_state: dv(T, proposed), config: dv(T, proposed) });
    assert.deepEqual(res.requires_replace, []);
    const planned = decodeMsgpack(T, (res.planned_state as any).msgpack) as ObjectValue;
    assert.equal(planned.id, 'tnt_1');
    assert.equal(planned.client_secret, 'cs_1');
    assert.equal(planned.display_name, 'Acme Corp');
  });

  it('plans the held value for a configured one the API stores as that value, and a real change as configured', async () => {
    const plan = async (display_name: string, billing_contact: string) => {
      const proposed = { ...priorTenant, display_name, billing_contact };
      const config = { ...proposed, id: null, status: null, created_at: null, client_id: null, client_secret: null };
      const res = await p.PlanResourceChange!({ type_name: 'claresia_tenant', prior_state: dv(T, priorTenant), proposed_new_state: dv(T, proposed), config: dv(T, config) });
      return decodeMsgpack(T, (res.planned_state as any).msgpack) as ObjectValue;
    };
    const same = await plan('  Acme\t', 'BILLING@acme.EXAMPLE');
    assert.equal(same.display_name, 'Acme');
    assert.equal(same.billing_contact, 'Billing@Acme.example');
    const changed = await plan('Acme Corp', 'billing@acme.example');
    assert.equal(changed.display_name, 'Acme Corp');
    assert.equal(changed.billing_contact, 'Billing@Acme.example', 'equal once lowercased');
  });

  it('plans values the API derives from a changed input as unknown, and keeps them when no such input changes', async () => {
    const sso = resourceByName('sso_connection');
    const S = resourceType(sso);
    const prior: ObjectValue = {
      id: 'sso_1', name: 'Okta', protocol: 'saml', metadata_url: null, metadata_xml: '<md:EntityDescriptor/>', idp_sso_url: 'https://idp.example/sso',
      idp_certificate: 'PEM', idp_entity_id: 'urn:idp', discovery_url: null, client_id: null, client_secret: null, acs_url: 'https://cp/acs',
      audience_uri: 'https://cp', status: 'green', last_tested_at: '2026-01-01T00:00:00.000Z', created_at: '2026-01-01T00:00:00.000Z', client_secret_wo_version: null,
    };
    const plan = async (change: ObjectValue) => {
      const proposed = { ...prior, ...change };
      const config = { ...proposed, id: null, idp_sso_url: null, idp_certificate: null, idp_entity_id: null, acs_url: null, audience_uri: null, status: null, last_tested_at: null, created_at: null };
      const res = await p.PlanResourceChange!({ type_name: 'claresia_sso_connection', prior_state: dv(S, prior), proposed_new_state: dv(S, proposed), config: dv(S, config) });
      return decodeMsgpack(S, (res.planned_state as any).msgpack) as ObjectValue;
    };
    const rotated = await plan({ metadata_xml: '<md:EntityDescriptor entityID="2"/>' });
    for (const k of ['idp_sso_url', 'idp_certificate', 'idp_entity_id', 'status']) assert.equal(rotated[k], UNKNOWN, k);
    assert.equal(rotated.acs_url, 'https://cp/acs');
    assert.equal(rotated.last_tested_at, '2026-01-01T00:00:00.000Z');
    const renamed = await plan({ name: 'Okta SAML' });
    for (const k of ['idp_sso_url', 'idp_certificate', 'idp_entity_id', 'status']) assert.equal(renamed[k], prior[k], k);
  });

  it('refuses at plan a new write-only version with no value to send, at the line of the version', async () => {
    const sso = resourceByName('sso_connection');
    const S = resourceType(sso);
    const prior: ObjectValue = {
      id: 'sso_1', name: 'Entra', protocol: 'oidc', metadata_url: null, metadata_xml: null, idp_sso_url: null, idp_certificate: null, idp_entity_id: null,
      discovery_url: 'https://login.example/v2.0', client_id: 'app', client_secret: null, acs_url: 'https://cp/cb', audience_uri: 'https://cp', status: 'green',
      last_tested_at: null, created_at: '2026-01-01T00:00:00.000Z', client_secret_wo_version: 1,
    };
    const plan = async (version: number | null, secret: string | null) => {
      const proposed = { ...prior, client_secret_wo_version: version };
      const config = { ...proposed, id: null, acs_url: null, audience_uri: null, status: null, last_tested_at: null, created_at: null, client_secret: secret };
      return p.PlanResourceChange!({ type_name: 'claresia_sso_connection', prior_state: dv(S, prior), proposed_new_state: dv(S, proposed), config: dv(S, config) });
    };
    const missing = (await plan(2, null)).diagnostics as any[];
    assert.equal(missing.length, 1);
    assert.deepEqual(missing[0].attribute.steps, [{ attribute_name: 'client_secret_wo_version' }], 'the line that changed; client_secret has none');
    assert.match(missing[0].detail, /client_secret_wo_version changed/);
    assert.deepEqual((await plan(2, 'new-secret-value')).diagnostics, []);
    assert.deepEqual((await plan(null, null)).diagnostics, [], 'dropping both the value and its version is no error');
  });

  it('plans a write-only attribute as null whatever the configuration says', async () => {
    const config = { id: null, platform: 'claude', name: 'C', credential: 'sk-secret-value', base_url: null, status: null, status_reason: null, last_tested_at: null, last_publish_at: null, created_at: null };
    const res = await p.PlanResourceChange!({ type_name: 'claresia_llm_connector', prior_state: NULL, proposed_new_state: dv(L, config), config: dv(L, config) });
    const planned = decodeMsgpack(L, (res.planned_state as any).msgpack) as ObjectValue;
    assert.equal(planned.credential, null);
    assert.equal(planned.base_url, 'https://api.anthropic.com', "optional+computed left to the API, which picks the platform's public API");
  });

  it('plans destroy as a null state', async () => {
    const res = await p.PlanResourceChange!({ type_name: 'claresia_tenant', prior_state: dv(T, priorTenant), proposed_new_state: NULL, config: NULL });
    assert.equal(decodeMsgpack(T, (res.planned_state as any).msgpack), null);
  });

  it('refuses a write-only value from a Terraform that cannot keep it out of state, naming the attribute', async () => {
    const config = { platform: 'claude', name: 'C', credential: 'sk-secret-value' };
    const res = await p.ValidateResourceConfig!({ type_name: 'claresia_llm_connector', config: dv(L, config), client_capabilities: { write_only_attributes_allowed: false } });
    assert.equal((res.diagnostics as any[])[0].summary, 'Write-only attribute not supported');
    assert.deepEqual((res.diagnostics as any[])[0].attribute, { steps: [{ attribute_name: 'credential' }] });
    const ok = await p.ValidateResourceConfig!({ type_name: 'claresia_llm_connector', config: dv(L, config), client_capabilities: { write_only_attributes_allowed: true } });
    assert.deepEqual(ok.diagnostics, []);
  });

  it('validates a value as the API will store it: trimmed or lowercased where the catalog says', async () => {
    const check = async (v: ObjectValue) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_tenant', config: dv(T, { ...priorTenant, ...v }) })).diagnostics as any[]) ?? [];
    assert.deepEqual(await check({ display_name: '  Acme ', billing_contact: ' Billing@Acme.example ' }), [], 'valid once normalised');
    const blank = await check({ display_name: ' \t ' });
    assert.equal(blank.length, 1);
    assert.deepEqual(blank[0].attribute.steps, [{ attribute_name: 'display_name' }]);
  });

  it('refuses an allowlist entry that is not a CIDR at plan, with the words the API uses', async () => {
    const dir = resourceByName('scim_directory');
    const D = resourceType(dir);
    const blank = Object.fromEntries(Object.keys(D.object).map((k) => [k, null])) as ObjectValue;
    const check = async (list: string[]) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_scim_directory', config: dv(D, { ...blank, idp: 'okta', ip_allowlist: list }) })).diagnostics as any[]) ?? [];
    assert.deepEqual(await check(['203.0.113.0/24', '2001:db8::/32']), []);
    const bad = await check(['203.0.113.0/24', '10.0.0.0/33']);
    assert.equal(bad.length, 1);
    assert.equal(bad[0].attribute.steps[0].attribute_name, 'ip_allowlist');
    assert.match(bad[0].detail, /must be a CIDR block such as 203\.0\.113\.0\/24/);
    // What the API refuses beyond the pattern: a host address where the network's belongs.
    for (const [entry, words] of [
      ['203.0.113.7/24', /has host bits set; write the network address \(e\.g\. 203\.0\.113\.0\/24\)/],
      ['2001:db8::1/32', /has host bits set; write the network address \(e\.g\. 2001:db8::\/32\)/],
      ['1:2:3:4:5:6:7:8:9/64', /must be a CIDR such as 203\.0\.113\.0\/24/],
    ] as const) {
      const refused = await check(['198.51.100.0/24', entry]);
      assert.equal(refused.length, 1, entry);
      assert.equal(refused[0].attribute.steps[0].attribute_name, 'ip_allowlist');
      assert.match(refused[0].detail, words);
    }
    assert.deepEqual(await check(['203.0.113.7/32', '10.0.0.0/8', '2001:db8:0:1::/64']), [], 'a host written as /32, and networks, are fine');
  });

  it("refuses at plan what is not a skill id, in the words the API uses; a well-formed unknown id is the API's to refuse", async () => {
    const ent = resourceByName('skill_entitlement');
    const E = resourceType(ent);
    const blank = Object.fromEntries(Object.keys(E.object).map((k) => [k, null])) as ObjectValue;
    const check = async (skills: string[]) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_skill_entitlement', config: dv(E, { ...blank, archetype: 'eng', skills }) })).diagnostics as any[]) ?? [];
    assert.deepEqual(await check(['claresia.codewright.code-review', 'claresia.made.up']), []);
    const bad = await check(['claresia.codewright.code-review', 'claresia.exec.web_research']);
    assert.equal(bad.length, 1);
    assert.equal(bad[0].attribute.steps[0].attribute_name, 'skills');
    assert.match(bad[0].detail, /must be a skill id such as claresia\.exec\.web-research/);
  });

  it('refuses at plan a group mapping outside the claresia- namespace, in the words the API uses', async () => {
    const gm = resourceByName('group_mapping');
    const G = resourceType(gm);
    const blank = Object.fromEntries(Object.keys(G.object).map((k) => [k, null])) as ObjectValue;
    const check = async (group: string) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_group_mapping', config: dv(G, { ...blank, group, role: 'member' }) })).diagnostics as any[]) ?? [];
    for (const ok of ['claresia-data-pilot', 'Claresia-Data-Pilot']) assert.deepEqual(await check(ok), [], ok);
    for (const bad of ['administrators', 'admins', 'claresia-', 'xclaresia-data']) {
      const d = await check(bad);
      assert.equal(d.length, 1, bad);
      assert.equal(d[0].attribute.steps[0].attribute_name, 'group');
      assert.equal(d[0].detail, 'The value must be an RBAC group: claresia- and a name, such as claresia-data-pilot.', bad);
    }
  });

  it('refuses at plan an http:// URL no control plane calls, and leaves http to a private address to the API', async () => {
    const wh = resourceByName('webhook');
    const W = resourceType(wh);
    const blank = Object.fromEntries(Object.keys(W.object).map((k) => [k, null])) as ObjectValue;
    const check = async (url: string) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_webhook', config: dv(W, { ...blank, url, events: ['user.created'], secret: 'whsec-0123456789abcdef0123456789abcdef' }), client_capabilities: { write_only_attributes_allowed: true } })).diagnostics as any[]) ?? [];
    for (const url of ['http://hooks.example.com/x', 'http://203.0.113.9/x', 'ftp://hooks.example.com/x']) {
      const d = await check(url);
      assert.equal(d.length, 1, url);
      assert.equal(d[0].attribute.steps[0].attribute_name, 'url');
      assert.match(d[0].detail, /must be an https:\/\/ URL \(http:\/\/ only to a loopback or private address/, url);
    }
    for (const url of ['https://hooks.example.com/x', 'http://127.0.0.1:8080/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://[::1]:9/x']) assert.deepEqual(await check(url), [], url);
  });

  it('points a bad timeout at its key inside the timeouts value, the step Terraform finds the line of', async () => {
    const hub = resourceByName('hub');
    const H = resourceType(hub);
    const config = Object.fromEntries(Object.keys(H.object).map((k) => [k, null])) as ObjectValue;
    const res = await p.ValidateResourceConfig!({ type_name: 'claresia_hub', config: dv(H, { ...config, mode: 'A', timeouts: { create: 'soon', update: null, delete: '1m' } }) });
    const diags = res.diagnostics as any[];
    assert.equal(diags.length, 1);
    assert.deepEqual(diags[0].attribute.steps, [{ attribute_name: 'timeouts' }, { element_key_string: 'create' }]);
  });

  it('skips unknown values at validation and checks them once known', async () => {
    const res = await p.ValidateResourceConfig!({ type_name: 'claresia_tenant', config: dv(T, { ...priorTenant, region: UNKNOWN, slug: 'Bad Slug' }) });
    const diags = res.diagnostics as any[];
    assert.equal(diags.length, 1);
    assert.deepEqual(diags[0].attribute.steps, [{ attribute_name: 'slug' }]);
  });

  it("checks the catalog's rules over several attributes at the offending attribute, and not where a value involved is unknown", async () => {
    const hub = resourceByName('hub');
    const H = resourceType(hub);
    const blank = Object.fromEntries(Object.keys(H.object).map((k) => [k, null])) as ObjectValue;
    const check = async (v: ObjectValue) => ((await p.ValidateResourceConfig!({ type_name: 'claresia_hub', config: dv(H, { ...blank, ...v }) })).diagnostics as any[]) ?? [];
    const noRegion = await check({ mode: 'B' });
    assert.equal(noRegion.length, 1);
    assert.equal(noRegion[0].summary, 'Missing required argument region');
    assert.match(noRegion[0].detail, /^region is required in Mode B/);
    assert.deepEqual(noRegion[0].attribute.steps, [{ attribute_name: 'region' }]);
    // A CA the API would take, so that only the rule speaks (the bundle itself is checked at plan too).
    const modeA = await check({ mode: 'A', customer_ca_certificate: (await selfSigned('Rule test CA')).pem });
    assert.deepEqual(modeA.map((d) => [d.summary, d.attribute.steps]), [['Invalid combination of arguments: customer_ca_certificate', [{ attribute_name: 'customer_ca_certificate' }]]]);
    assert.deepEqual(await check({ mode: 'B', region: 'eu-west-1' }), []);
    // Unknown until apply: the mode, the required value, the refused value. None may fail the plan.
    assert.deepEqual(await check({ mode: UNKNOWN }), []);
    assert.deepEqual(await check({ mode: 'B', region: UNKNOWN }), []);
    assert.deepEqual(await check({ mode: 'A', mtls_endpoint_url: UNKNOWN }), []);
    assert.deepEqual(await check({ mode: UNKNOWN, mtls_endpoint_url: 'https://hub.example' }), []);

    const sso = resourceByName('sso_connection');
    const S = resourceType(sso);
    const sblank = Object.fromEntries(Object.keys(S.object).map((k) => [k, null])) as ObjectValue;
    const res = await p.ValidateResourceConfig!({
      type_name: 'claresia_sso_connection',
      config: dv(S, { ...sblank, name: 'Okta', protocol: 'saml', metadata_url: 'https://idp.example/md', client_id: 'app' }),
      client_capabilities: { write_only_attributes_allowed: true },
    });
    assert.deepEqual((res.diagnostics as any[]).map((d) => [d.detail, d.attribute.steps]), [['client_id does not apply to protocol saml.', [{ attribute_name: 'client_id' }]]]);
  });

  it('upgrades older state: drops attributes the schema lost, adds new ones as null; refuses newer state', async () => {
    const raw = { id: 'tnt_9', slug: 's', legacy: 'x' };
    const res = await p.UpgradeResourceState!({ type_name: 'claresia_tenant', version: 0, raw_state: { json: Buffer.from(JSON.stringify(raw)) } });
    const up = decodeMsgpack(T, (res.upgraded_state as any).msgpack) as ObjectValue;
    assert.equal(up.id, 'tnt_9');
    assert.equal(up.status, null);
    assert.ok(!('legacy' in up));
    const newer = await p.UpgradeResourceState!({ type_name: 'claresia_tenant', version: 7, raw_state: { json: Buffer.from('{}') } });
    assert.match((newer.diagnostics as any[])[0].detail, /schema version 7; this provider knows up to 1/);
  });

  it('rejects an import ID that does not match the documented format', async () => {
    const res = await p.ImportResourceState!({ type_name: 'claresia_tenant', id: 'tnt_1/extra' });
    assert.equal((res.diagnostics as any[])[0].summary, 'Invalid import ID');
    // What people type instead of the id, each named before any API call.
    for (const [type, id, detail] of [
      ['claresia_group_mapping', 'claresia-data-pilot', `"claresia-data-pilot" is not the mapping's id (gm_..., listed by GET /api/v1/identity/group-mappings), not the group name; for example gm_3f9a0c1d7e2b4a58.`],
      ['claresia_skill_entitlement', 'salesx', `"salesx" is not the archetype (eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec); for example sales.`],
      ['claresia_cowork', 'Go To Market', `"Go To Market" is not the pack name, as the claresia_skill_catalog data source lists packs; for example go-to-market.`],
    ] as const) {
      const bad = await p.ImportResourceState!({ type_name: type, id });
      assert.deepEqual((bad.diagnostics as any[]).map((d) => [d.summary, d.detail]), [['Invalid import ID', detail]], type);
      assert.equal(bad.imported_resources, undefined);
    }
    const mapping = await p.ImportResourceState!({ type_name: 'claresia_group_mapping', id: 'gm_3f9a0c1d7e2b4a58' });
    assert.equal((mapping.imported_resources as any[]).length, 1);
    const good = await p.ImportResourceState!({ type_name: 'claresia_cowork', id: 'go-to-market' });
    const state = decodeMsgpack(resourceType(resourceByName('cowork')), (good.imported_resources as any[])[0].state.msgpack) as ObjectValue;
    assert.equal(state.pack, 'go-to-market');
  });

  it('explains why a data source cannot be read while its provider block is still unknown', async () => {
    const q = createProvider();
    await q.ConfigureProvider!({ config: dv(providerType, { endpoint: 'http://127.0.0.1:1', client_id: UNKNOWN, client_secret: UNKNOWN }) });
    const res = await q.ReadDataSource!({ type_name: 'claresia_tenant_health', config: NULL });
    assert.equal((res.diagnostics as any[])[0].summary, 'Cannot read claresia_tenant_health yet');
    assert.match((res.diagnostics as any[])[0].detail, /depends_on/);
  });

  it('explains a missing endpoint or credentials at configure', async () => {
    const saved = { ...process.env };
    for (const k of ['CLARESIA_ENDPOINT', 'CLARESIA_TOKEN', 'CLARESIA_CLIENT_ID', 'CLARESIA_CLIENT_SECRET']) delete process.env[k];
    try {
      const res = await createProvider().ConfigureProvider!({ config: dv(providerType, {}) });
      const summaries = (res.diagnostics as any[]).map((d) => d.summary);
      assert.deepEqual(summaries, ['Missing endpoint', 'Missing credentials']);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});

describe('provider configuration: the block and the environment', () => {
  const endpoint = 'https://api.claresia.example';
  const block = (v: Record<string, unknown>): ObjectValue => ({ endpoint, token: null, client_id: null, client_secret: null, request_timeout: null, max_retries: null, ...v }) as ObjectValue;
  const said = (r: ReturnType<typeof resolveConfig>) => r.diagnostics.map((d: any) => [d.summary, d.attribute?.steps?.map((s: any) => s.attribute_name).join('.') ?? null]);

  it("takes the other half of a client_id/client_secret pair from the environment (an imported tenant's secret), never an operator token", () => {
    const r = resolveConfig(block({ client_id: 'cid_tenant', client_secret: null }), { CLARESIA_TOKEN: 'op_operator', CLARESIA_CLIENT_SECRET: 'cs_from_env' });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.options?.token, undefined, 'the operator token in the environment is not used');
    assert.deepEqual([r.options?.clientId, r.options?.clientSecret], ['cid_tenant', 'cs_from_env']);
  });

  it('names the missing half of the pair, and says why an imported tenant has no secret', () => {
    const r = resolveConfig(block({ client_id: 'cid_tenant' }), { CLARESIA_TOKEN: 'op_operator' });
    assert.deepEqual(said(r), [['Missing client_secret', 'client_secret']]);
    assert.match((r.diagnostics[0] as any).detail, /CLARESIA_CLIENT_SECRET.*terraform import/s);
    assert.deepEqual(said(resolveConfig(block({ client_secret: 'cs_x' }), {})), [['Missing client_id', 'client_id']]);
  });

  it('a token in the block takes no credential from the environment', () => {
    const r = resolveConfig(block({ token: 'op_block' }), { CLARESIA_CLIENT_ID: 'cid_env', CLARESIA_CLIENT_SECRET: 'cs_env' });
    assert.deepEqual([r.options?.token, r.options?.clientId], ['op_block', undefined]);
    const env = resolveConfig(block({}), { CLARESIA_TOKEN: 'op_env' });
    assert.equal(env.options?.token, 'op_env');
  });
});

describe('provider stop', () => {
  const gm = resourceByName('group_mapping');
  const G = resourceType(gm);
  const mappingJson = { id: 'gm_0123456789abcdef', group: 'claresia-held', role: 'member', archetype: null, created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' };

  /** A control plane stand-in that answers every write only once `release` is called (and records whether the caller hung up first). */
  async function holdingApi(answer: (method: string, body: any) => [number, unknown]) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const seen: { writes: number; hungUp: boolean } = { writes: 0, hungUp: false };
    let arrived!: () => void;
    const writeArrived = new Promise<void>((r) => (arrived = r));
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', async () => {
        if (req.method !== 'GET') {
          seen.writes++;
          arrived();
          res.on('close', () => (seen.hungUp ||= !res.writableFinished));
          await released;
        }
        const [status, body] = answer(req.method!, text ? JSON.parse(text) : undefined);
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const provider = createProvider();
    await provider.ConfigureProvider!({ config: dv(providerType, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'op_test', request_timeout: '60s', max_retries: 0 }) });
    return {
      provider,
      seen,
      writeArrived,
      release,
      close() {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  it("does not abandon a create's POST on a stop: the answer that comes after it is the state Terraform records", async () => {
    const api = await holdingApi(() => [201, mappingJson]);
    try {
      const config = { id: null, group: 'claresia-held', role: 'member', archetype: null, created_at: null, updated_at: null };
      const planned = { ...config, id: UNKNOWN, created_at: UNKNOWN, updated_at: UNKNOWN };
      const apply = api.provider.ApplyResourceChange!({ type_name: 'claresia_group_mapping', prior_state: NULL, planned_state: dv(G, planned), config: dv(G, config) });
      await api.writeArrived;
      await api.provider.StopProvider!({});
      api.release();
      const res = await apply;
      assert.equal(api.seen.hungUp, false, 'the POST was cut off by the stop');
      assert.deepEqual(res.diagnostics, []);
      assert.equal((decodeMsgpack(G, (res.new_state as any).msgpack) as ObjectValue).id, mappingJson.id, 'the object the server made is in state');
    } finally {
      api.close();
    }
  });

  it("does not abandon an update's PATCH on a stop: the change the server made is the state Terraform records", async () => {
    const api = await holdingApi((_m, body) => [200, { ...mappingJson, ...body }]);
    try {
      const prior = { ...mappingJson, archetype: null };
      const config = { ...prior, id: null, created_at: null, updated_at: null, role: 'auditor' };
      const planned = { ...prior, role: 'auditor' };
      const apply = api.provider.ApplyResourceChange!({ type_name: 'claresia_group_mapping', prior_state: dv(G, prior), planned_state: dv(G, planned), config: dv(G, config) });
      await api.writeArrived;
      await api.provider.StopProvider!({});
      api.release();
      const res = await apply;
      assert.equal(api.seen.hungUp, false, 'the PATCH was cut off by the stop');
      assert.equal((decodeMsgpack(G, (res.new_state as any).msgpack) as ObjectValue).role, 'auditor');
    } finally {
      api.close();
    }
  });

  it('records an update as planned when a stop cuts short the read that follows it', async () => {
    let getArrived!: () => void;
    const gotGet = new Promise<void>((r) => (getArrived = r));
    // The PATCH answers with no object, so the provider reads it back; that read never answers.
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.method === 'PATCH' || req.url === '/api/v1/me') req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
      else getArrived();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const p = createProvider();
      await p.ConfigureProvider!({ config: dv(providerType, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'op_test', request_timeout: '60s', max_retries: 0 }) });
      const prior = { ...mappingJson };
      const config = { ...prior, id: null, created_at: null, updated_at: null, role: 'auditor' };
      const planned = { ...prior, role: 'auditor', updated_at: UNKNOWN };
      const apply = p.ApplyResourceChange!({ type_name: 'claresia_group_mapping', prior_state: dv(G, prior), planned_state: dv(G, planned), config: dv(G, config) });
      await gotGet;
      await p.StopProvider!({});
      const res = await apply;
      assert.match((res.diagnostics as any[])[0].summary, /^claresia_group_mapping was updated but could not be read back/);
      const state = decodeMsgpack(G, (res.new_state as any).msgpack) as ObjectValue;
      assert.deepEqual([state.role, state.updated_at], ['auditor', mappingJson.updated_at], 'the change is recorded; what it left unknown keeps its prior value');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('StopProvider cancels a read waiting on the API, which fails with a diagnostic instead of hanging', async () => {
    // Answers the token check at configure, then accepts and never answers.
    const server = http.createServer((req, res) => void (req.url === '/api/v1/me' && res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const p = createProvider();
      await p.ConfigureProvider!({ config: dv(providerType, { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'op_test', request_timeout: '60s', max_retries: 0 }) });
      const read = p.ReadResource!({ type_name: 'claresia_group_mapping', current_state: dv(G, mappingJson) });
      await new Promise((r) => setImmediate(r));
      await p.StopProvider!({});
      const res = await read;
      assert.match((res.diagnostics as any[])[0].summary, /^Reading claresia_group_mapping/);
      assert.match((res.diagnostics as any[])[0].detail ?? (res.diagnostics as any[])[0].summary, /stop/);
      assert.equal((decodeMsgpack(G, (res.new_state as any).msgpack) as ObjectValue).id, mappingJson.id, 'state is kept as it was');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
