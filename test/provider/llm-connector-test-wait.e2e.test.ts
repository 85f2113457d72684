/**
 * claresia_llm_connector waits, at apply, for the control plane's automatic test of what it
 * sent, with the real terraform against a real control plane and an LLM platform double on
 * loopback:
 * - a create whose credential the platform refuses fails, naming credential and quoting the
 *   platform's answer, and changes nothing (Terraform would taint a kept object and replace it,
 *   where the fix is only a new credential);
 * - a new credential the platform refuses fails the update, the connector kept in state,
 *   untainted; renaming the failed connector neither waits nor fails; a good credential then
 *   fixes it in place (same id);
 * - a platform the control plane cannot reach ends the wait at once with a warning;
 * - a base_url the platform answers 404 on fails the create at base_url (review v8a F1);
 * - a create whose wait runs out with no verdict keeps the connector, untainted, with a warning
 *   naming timeouts.create, instead of deleting it (review v8a F2);
 * - an update of base_url whose wait runs out with no verdict is no error either: a warning
 *   naming timeouts.update, the new values in state, untainted;
 * - a create whose automatic test cannot run (an error in the control plane) ends the wait at
 *   once with the control plane's `waiting: ` reason, not at timeouts.create.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { dbKinds } from '../support/db.js';
import { startPlatformServer, type PlatformServer } from '../support/platforms/platform-server.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const GOOD_KEY = 'sk-ant-admin01-WAIT-good-3b91c07e52';
const REFUSED_KEY = 'sk-ant-admin01-WAIT-refused-8d20f4a1';

const config = (o: { baseUrl: string; name: string; version: number; create?: string; update?: string }) => `${providerBlock}
variable "anthropic_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "claresia_llm_connector" "claude" {
  platform              = "claude"
  name                  = ${JSON.stringify(o.name)}
  credential            = var.anthropic_key
  credential_wo_version = ${o.version}
  base_url              = ${JSON.stringify(o.baseUrl)}
  timeouts = {
    create = "${o.create ?? '2m'}"
    update = "${o.update ?? '2m'}"
  }
}
`;

/** A loopback port nothing listens on: the platform cannot be reached there. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ');

for (const kind of dbKinds()) {
  describe(`claresia_llm_connector waits for its credential test with terraform [${kind}]`, function () {
    this.timeout(300_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let tenant: TenantFixture;
    let ws: Workspace;
    const instance = () => ws.state()?.resources?.find((r: any) => r.type === 'claresia_llm_connector' && r.mode === 'managed')?.instances[0];
    const applyWith = (key: string, o: { baseUrl?: string; name?: string; version: number; create?: string; update?: string }) => {
      ws.env.TF_VAR_anthropic_key = key;
      ws.write('main.tf', config({ baseUrl: o.baseUrl ?? platforms.baseUrl('claude'), name: o.name ?? 'Claude Enterprise', version: o.version, create: o.create, update: o.update }));
      return ws.tf('apply', '-auto-approve');
    };

    before(async () => {
      await buildProvider();
      platforms = await startPlatformServer();
      platforms.addAccount('claude', { credential: GOOD_KEY, scopes: ['skills'] });
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
      tenant = await cp.createTenant();
      ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_CLIENT_ID: tenant.clientId, CLARESIA_CLIENT_SECRET: tenant.clientSecret } });
    });
    after(async () => {
      ws?.close();
      await cp?.close();
      await platforms?.close();
    });

    it('a create the platform refuses fails at credential with its answer, and leaves nothing behind', async () => {
      const r = await applyWith(REFUSED_KEY, { version: 1 });
      assert.notEqual(r.code, 0, `the apply must fail:\n${r.stdout}`);
      const text = oneLine(r.stderr);
      assert.match(text, /claresia_llm_connector was not created: status failed: invalid_credential: Anthropic rejected the API key/);
      assert.match(text, /was deleted again, so this apply changed nothing\. Fix credential and apply again\./);
      assert.match(text, /credential\s+= var\.anthropic_key/, 'the diagnostic points at the credential line');
      assert.doesNotMatch(text, /to test it again/, 'no advice about an object that is gone');
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(REFUSED_KEY));
      assert.equal(instance(), undefined, 'nothing in state: no tainted object to replace');
      assert.equal(await cp.count('llm_connectors', { tenant_id: tenant.id }), 0, 'nothing left on the control plane');
    });

    it('with the credential fixed, the next apply creates it and returns once it is connected', async () => {
      const r = await applyWith(GOOD_KEY, { version: 1 });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /is still untested/);
      const inst = instance();
      assert.equal(inst.status, undefined, 'not tainted');
      assert.equal(inst.attributes.status, 'connected', 'apply waited for the test');
      assert.equal(inst.attributes.status_reason, null);
      assert.match(inst.attributes.last_tested_at, /^\d{4}-/);
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    });

    it('a new credential the platform refuses fails the update; the connector stays in state, untainted, and is fixed in place', async () => {
      const id = instance().attributes.id;
      const refused = await applyWith(REFUSED_KEY, { version: 2 });
      assert.notEqual(refused.code, 0, `the apply must fail:\n${refused.stdout}`);
      const text = oneLine(refused.stderr);
      assert.match(text, new RegExp(`claresia_llm_connector ${id} ended in status failed: invalid_credential: Anthropic rejected the API key`));
      assert.match(text, /credential\s+= var\.anthropic_key/, 'the diagnostic points at the credential line');
      let inst = instance();
      assert.equal(inst.attributes.id, id);
      assert.equal(inst.status, undefined, 'an update that fails does not taint');
      assert.equal(inst.attributes.status, 'failed', 'state holds the outcome of the test');
      assert.equal(inst.attributes.credential_wo_version, 2);
      await ws.ok(['plan', '-detailed-exitcode'], 0);

      // A new name cannot change the verdict: no wait, no failure.
      const renamed = await applyWith(REFUSED_KEY, { version: 2, name: 'Claude (EU)' });
      assert.equal(renamed.code, 0, renamed.stderr);
      assert.match(renamed.stdout, /0 added, 1 changed, 0 destroyed/);
      inst = instance();
      assert.equal(inst.attributes.name, 'Claude (EU)');
      assert.equal(inst.attributes.status, 'failed');

      // The fix: a good credential, sent in place.
      const fixed = await applyWith(GOOD_KEY, { version: 3, name: 'Claude (EU)' });
      assert.equal(fixed.code, 0, fixed.stderr);
      assert.match(fixed.stdout, /0 added, 1 changed, 0 destroyed/);
      inst = instance();
      assert.equal(inst.attributes.id, id, 'same connector');
      assert.equal(inst.attributes.status, 'connected');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    });

    it('a platform the control plane cannot reach ends the wait with a warning, not a failure', async () => {
      const id = instance().attributes.id;
      const unreachable = `http://127.0.0.1:${await closedPort()}/claude`;
      const r = await applyWith(GOOD_KEY, { version: 3, name: 'Claude (EU)', baseUrl: unreachable });
      assert.equal(r.code, 0, r.stderr);
      const text = oneLine(r.stdout + r.stderr);
      assert.match(text, new RegExp(`Warning: claresia_llm_connector ${id} is still untested`));
      assert.match(text, /waiting: the automatic test got platform_unreachable/);
      const inst = instance();
      assert.equal(inst.attributes.status, 'untested');
      assert.equal(inst.attributes.base_url, unreachable);
    });

    it('a create at a base_url the platform answers 404 on fails at base_url, and leaves nothing behind', async () => {
      await ws.ok(['destroy', '-auto-approve'], 0);
      const typo = `${platforms.url}/typo`;
      const r = await applyWith(GOOD_KEY, { version: 1, baseUrl: typo });
      assert.notEqual(r.code, 0, `the apply must fail:\n${r.stdout}`);
      const text = oneLine(r.stderr);
      assert.match(text, /claresia_llm_connector was not created: status failed: platform_rejected_request: the claude API answered HTTP 404/);
      assert.match(text, /was deleted again, so this apply changed nothing\. Fix base_url and apply again\./);
      assert.match(text, /base_url\s+= "http/, 'the diagnostic points at the base_url line');
      assert.equal(instance(), undefined);
      assert.equal(await cp.count('llm_connectors', { tenant_id: tenant.id }), 0);
    });

    it('a create whose wait runs out with no verdict keeps the connector, untainted, with a warning naming timeouts.create', async () => {
      const silent = await silentPlatform();
      try {
        const base = silent.baseUrl;
        const r = await applyWith(GOOD_KEY, { version: 1, baseUrl: base, create: '3s' });
        assert.equal(r.code, 0, r.stderr);
        const text = oneLine(r.stdout + r.stderr);
        assert.match(text, /Warning: claresia_llm_connector llm_[0-9a-f]+ is still untested: no verdict within timeouts\.create/);
        assert.match(text, /create\s+= "3s"/, 'the warning points at timeouts.create');
        assert.doesNotMatch(text, /deleted again|Fix the configuration/);
        const inst = instance();
        assert.ok(inst, 'kept in state');
        assert.equal(inst.status, undefined, 'not tainted');
        assert.equal(inst.attributes.status, 'untested');
        assert.equal(await cp.count('llm_connectors', { tenant_id: tenant.id }), 1, 'kept on the control plane');
        await ws.ok(['destroy', '-auto-approve'], 0);
      } finally {
        await silent.close();
      }
    });

    it('an update of base_url whose wait runs out with no verdict keeps the new values, untainted, with a warning naming timeouts.update', async () => {
      const created = await applyWith(GOOD_KEY, { version: 1 });
      assert.equal(created.code, 0, created.stderr);
      const id = instance().attributes.id;
      assert.equal(instance().attributes.status, 'connected');
      const silent = await silentPlatform();
      try {
        const r = await applyWith(GOOD_KEY, { version: 1, baseUrl: silent.baseUrl, update: '3s' });
        assert.equal(r.code, 0, `no verdict is no failure of the update:\n${r.stderr}`);
        const text = oneLine(r.stdout + r.stderr);
        assert.match(text, new RegExp(`Warning: claresia_llm_connector ${id} is still untested: no verdict within timeouts\\.update`));
        assert.match(text, /It was updated, but nothing judged it within timeouts\.update \(3000 ms\)/);
        assert.match(text, /update\s+= "3s"/, 'the warning points at timeouts.update');
        assert.doesNotMatch(text, /Error:/);
        const inst = instance();
        assert.equal(inst.attributes.id, id, 'same connector');
        assert.equal(inst.status, undefined, 'not tainted');
        assert.equal(inst.attributes.base_url, silent.baseUrl, 'the new base_url is in state');
        assert.equal(inst.attributes.status, 'untested');
        await ws.ok(['plan', '-detailed-exitcode'], 0);
        await ws.ok(['destroy', '-auto-approve'], 0);
      } finally {
        await silent.close();
      }
    });

    it('a create whose automatic test cannot run ends the wait at once with a warning quoting its waiting: reason, not at timeouts.create', async () => {
      // The database refuses to store any verdict, so each attempt of the control plane's test
      // throws after the platform answered: an error of the control plane, retried.
      await cp.db.raw(`CREATE FUNCTION h2_refuse_verdict() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'h2 test: verdicts refused'; END $$`);
      await cp.db.raw(`CREATE TRIGGER h2_refuse_verdict BEFORE UPDATE ON llm_connectors FOR EACH ROW WHEN (OLD.status = 'untested' AND NEW.status <> 'untested') EXECUTE FUNCTION h2_refuse_verdict()`);
      try {
        const r = await applyWith(GOOD_KEY, { version: 1, create: '60s' });
        assert.equal(r.code, 0, r.stderr);
        const text = oneLine(r.stdout + r.stderr);
        assert.match(text, /Warning: claresia_llm_connector llm_[0-9a-f]+ is still untested/);
        assert.match(text, /waiting: the automatic test's attempt \d+ of \d+ could not run \(an error in the control plane, not an answer of the platform/);
        assert.doesNotMatch(text, /no verdict within timeouts\.create/, 'the wait ended on the reason, not at its limit');
        assert.doesNotMatch(text, /verdicts refused/, 'the database error stays in the log');
        const inst = instance();
        assert.equal(inst.status, undefined, 'not tainted');
        assert.equal(inst.attributes.status, 'untested');
      } finally {
        await cp.db.raw('DROP TRIGGER h2_refuse_verdict ON llm_connectors');
        await cp.db.raw('DROP FUNCTION h2_refuse_verdict()');
      }
      await ws.ok(['destroy', '-auto-approve'], 0);
    });
  });
}

/**
 * A platform that accepts connections and never answers: the control plane's test gets no
 * verdict for as long as its own request timeout (10 s), far past the few seconds of the
 * timeouts these tests set.
 */
async function silentPlatform(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const held = new Set<Socket>();
  const server = createServer((socket) => void held.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/claude`,
    async close() {
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
