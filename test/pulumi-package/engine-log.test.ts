/**
 * What the Terraform provider reports as a warning diagnostic reaches a Pulumi user through the
 * engine's log (`pulumirpc.Engine/Log`), against the resource's URN (review v8a F3): an LLM
 * connector whose platform cannot be reached is created (or updated) untested, and one whose
 * test gave no verdict within customTimeouts.create is kept, each with a WARNING. The plugin
 * is launched as the engine launches it, with a test engine's address, and driven over gRPC
 * against a real control plane. No secret is in any message; an engine that cannot be reached,
 * or does not answer, fails nothing: the warning goes to stderr instead.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import pluginPb from '@pulumi/pulumi/proto/plugin_pb.js';
import type { ResourceDef } from '@claresia/catalog';
import { EngineLog, engineAddress } from '../../pulumi-package/src/provider/engine-log.js';
import { ClaresiaProvider } from '../../pulumi-package/src/provider/provider.js';
import { dbKinds } from '../support/db.js';
import type { TenantFixture, TestControlPlane } from '../support/control-plane.js';
import type { PlatformServer } from '../support/platforms/platform-server.js';
import { isSecret, js, launchPlugin, req, secret, urnOf, type Plugin } from './support/engine.js';
import { closedPort, Severity, startSilentEngine, startTestEngine, type TestEngine } from './support/test-engine.js';
import { pluginWithEngine, type PluginWithEngine } from './support/plugin-with-engine.js';

const GOOD_KEY = 'sk-ant-admin01-PULUMI-englog-good-71c4e0';

describe('pulumi plugin: the engine log client', function () {
  this.timeout(30_000);

  it('finds the engine address after the flags the engine may put first', () => {
    assert.equal(engineAddress(['127.0.0.1:4100']), '127.0.0.1:4100');
    assert.equal(engineAddress(['--logtostderr', '-v=9', '--tracing', 'http://127.0.0.1:9411', '127.0.0.1:4100']), '127.0.0.1:4100');
    assert.equal(engineAddress([]), undefined);
  });

  it('sends a WARNING with the URN and the message', async () => {
    const engine = await startTestEngine();
    const log = new EngineLog(engine.address);
    try {
      await log.warn('urn:pulumi:dev::p::claresia:index:Hub::h', 'watch out');
      assert.deepEqual(engine.logs, [{ severity: Severity.WARNING, urn: 'urn:pulumi:dev::p::claresia:index:Hub::h', message: 'watch out' }]);
    } finally {
      log.close();
      await engine.close();
    }
  });

  it('an engine that never answers: the call ends at its deadline and the warning goes to stderr instead', async () => {
    const silent = await startSilentEngine();
    const fallback: string[] = [];
    const log = new EngineLog(silent.address, 300, (line) => fallback.push(line));
    try {
      await log.warn('urn:pulumi:dev::p::claresia:index:Hub::h', 'watch out');
      assert.equal(fallback.length, 1);
      assert.match(fallback[0]!, /^warning: urn:pulumi:dev::p::claresia:index:Hub::h: watch out \(the engine's log at 127\.0\.0\.1:\d+ did not take it: /);
    } finally {
      log.close();
      await silent.close();
    }
  });

  it('a resource with no delete operation: Delete removes it from the stack with a WARNING, as Terraform warns', async () => {
    // No catalog entry lacks a delete today; the generic resource must still say so for one that does.
    const def: ResourceDef = {
      name: 'probe',
      title: 'Probe',
      description: 'A synthetic resource.',
      auth: 'tenant',
      schemaVersion: 1,
      idAttribute: 'id',
      api: { create: { method: 'POST', path: '/p' }, read: { method: 'GET', path: '/p/{id}' } },
      importId: { format: '{id}', example: 'p_1' },
      attributes: { id: { type: 'string', mode: 'computed', description: 'id' } },
      terraformExample: '',
    };
    const engine = await startTestEngine();
    const log = new EngineLog(engine.address);
    try {
      const provider = new ClaresiaProvider([def], [], {}, log);
      // Nothing listens at the endpoint: a delete with no API operation must not call it.
      await provider.configure({ endpoint: 'http://127.0.0.1:1', token: 'not-used' });
      const urn = 'urn:pulumi:dev::p::claresia:index:Probe::x';
      await provider.delete('p_1', urn, {});
      assert.deepEqual(engine.logs, [{ severity: Severity.WARNING, urn, message: 'Probe p_1 has no delete operation: it was removed from the stack only, and still exists in Claresia.' }]);
    } finally {
      log.close();
      await engine.close();
    }
  });
});

for (const kind of dbKinds()) {
  describe(`pulumi plugin warnings reach the engine's log [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let engine: TestEngine;
    let p: Plugin;

    let set: PluginWithEngine | undefined;
    before(async () => {
      set = await pluginWithEngine(kind, GOOD_KEY);
      ({ cp, platforms, t, engine, p } = set);
    });
    after(async () => set?.close());
    beforeEach(() => void engine.logs.splice(0));

    const checked = async (urn: string, inputs: Record<string, unknown>) => js((await p.call<any>('check', req.check(urn, inputs))).getInputs());
    const connector = (baseUrl: string) => ({ platform: 'claude', name: 'Claude', credential: secret(GOOD_KEY), baseUrl });
    const unreachable = async () => `http://127.0.0.1:${await closedPort()}/claude`;

    /** Every secret the run handled, none of which may reach the engine's log. */
    const secretsOf = (outs: Record<string, any>) => [GOOD_KEY, t.token, t.clientSecret, String(isSecret(outs.ingestCredential) ? outs.ingestCredential.value : '')].filter((s) => s !== '');
    const assertNoSecret = (texts: string[], outs: Record<string, any>) => {
      for (const text of texts) for (const s of secretsOf(outs)) assert.ok(!text.includes(s), `a secret in a logged message: ${text}`);
    };

    it('a connector whose platform cannot be reached: Create succeeds untested, and the engine gets one WARNING with its URN', async () => {
      const U = urnOf('LlmConnector', 'unreachable');
      const res = await p.call<any>('create', req.create(U, await checked(U, connector(await unreachable()))));
      const id = res.getId() as string;
      const outs = js(res.getProperties());
      assert.equal(outs.status, 'untested');
      const warnings = engine.logs.filter((l) => l.severity === Severity.WARNING);
      assert.equal(warnings.length, 1, JSON.stringify(engine.logs));
      assert.equal(warnings[0]!.urn, U);
      assert.match(
        warnings[0]!.message,
        new RegExp(`^LlmConnector ${id} is still untested: waiting: the automatic test got platform_unreachable: .* \\(property baseUrl\\)\\. The control plane goes on by itself; GET /api/v1/llm/connectors/${id} shows the outcome, and \`pulumi refresh\` records it \\(status connected or failed\\)\\.$`),
      );
      assertNoSecret(engine.logs.map((l) => l.message), outs);
      await p.call('delete', req.delete(U, id, outs));
    });

    it('an update that points a connected connector at a platform it cannot reach warns the same way; a verified create says nothing', async () => {
      const U = urnOf('LlmConnector', 'moved');
      const before = await checked(U, connector(platforms.baseUrl('claude')));
      const res = await p.call<any>('create', req.create(U, before));
      const id = res.getId() as string;
      let outs = js(res.getProperties());
      assert.equal(outs.status, 'connected');
      assert.equal(engine.logs.length, 0, `nothing to say about a connector its platform accepted: ${JSON.stringify(engine.logs)}`);

      const moved = await checked(U, connector(await unreachable()));
      outs = js((await p.call<any>('update', req.update(U, id, outs, moved, false, before))).getProperties());
      assert.equal(outs.status, 'untested');
      assert.deepEqual(
        engine.logs.map((l) => [l.severity, l.urn]),
        [[Severity.WARNING, U]],
      );
      assert.match(engine.logs[0]!.message, new RegExp(`^LlmConnector ${id} is still untested: waiting: the automatic test got platform_unreachable: `));
      assertNoSecret(engine.logs.map((l) => l.message), outs);
      await p.call('delete', req.delete(U, id, outs));
    });

    it('a create whose wait runs out with no verdict warns, naming customTimeouts.create', async () => {
      // Accepts connections and never answers: no verdict within the 2 s create timeout.
      const held = new Set<Socket>();
      const silent = createServer((socket) => void held.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
      try {
        const U = urnOf('LlmConnector', 'silent');
        const inputs = await checked(U, connector(`http://127.0.0.1:${(silent.address() as { port: number }).port}/claude`));
        const res = await p.call<any>('create', req.create(U, inputs, false, 2));
        const id = res.getId() as string;
        const outs = js(res.getProperties());
        assert.equal(outs.status, 'untested');
        assert.deepEqual(
          engine.logs.map((l) => [l.severity, l.urn]),
          [[Severity.WARNING, U]],
        );
        assert.match(engine.logs[0]!.message, new RegExp(`^LlmConnector ${id} is still untested: no verdict within customTimeouts\\.create\\. It was created, but nothing judged it within 2 s`));
        assert.match(engine.logs[0]!.message, /It is kept, and the control plane goes on testing it; GET .* shows the outcome, and `pulumi refresh` records it .* Raise the resource's customTimeouts\.create to wait longer\.$/);
        assertNoSecret(engine.logs.map((l) => l.message), outs);
        await p.call('delete', req.delete(U, id, outs));
      } finally {
        for (const s of held) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it("a plugin the engine attaches to (started by hand, for a debugger) logs to the address Attach names", async () => {
      const attached = await launchPlugin({}, `127.0.0.1:${await closedPort()}`);
      try {
        const attach = new pluginPb.PluginAttach();
        attach.setAddress(engine.address);
        await attached.call('attach', attach);
        await attached.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
        const U = urnOf('LlmConnector', 'attached');
        const inputs = js((await attached.call<any>('check', req.check(U, connector(await unreachable())))).getInputs());
        const res = await attached.call<any>('create', req.create(U, inputs));
        assert.deepEqual(
          engine.logs.map((l) => [l.severity, l.urn]),
          [[Severity.WARNING, U]],
        );
        await attached.call('delete', req.delete(U, res.getId(), js(res.getProperties())));
      } finally {
        await attached.stop();
      }
    });

    it('an engine that cannot be reached fails nothing: the Create succeeds and the warning goes to stderr', async () => {
      const lost = await launchPlugin({}, `127.0.0.1:${await closedPort()}`);
      try {
        await lost.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
        const U = urnOf('LlmConnector', 'no-engine');
        const inputs = js((await lost.call<any>('check', req.check(U, connector(await unreachable())))).getInputs());
        const res = await lost.call<any>('create', req.create(U, inputs));
        const id = res.getId() as string;
        const outs = js(res.getProperties());
        assert.equal(outs.status, 'untested');
        assert.match(lost.stderr(), new RegExp(`warning: ${U}: LlmConnector ${id} is still untested: waiting: .*\\(the engine's log at 127\\.0\\.0\\.1:\\d+ did not take it: `));
        assertNoSecret([lost.stderr()], outs);
        await lost.call('delete', req.delete(U, id, outs));
      } finally {
        await lost.stop();
      }
    });
  });
}
