/**
 * LlmConnector through the Pulumi plugin, driven over gRPC as the engine drives it, against a
 * real control plane and an LLM platform double on loopback: create and a new credential wait
 * for the control plane's test of it and fail, naming the credential and quoting the platform,
 * with the connector kept in state (ErrorResourceInitFailed); the engine's retry of that
 * resource (an Update of the same inputs) and a rename do not fail again on a failed connector
 * (or every `pulumi up` would fail until it is fixed); a good credential fixes it in place.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import statusPb from '@pulumi/pulumi/proto/status_pb.js';
import { dbKinds } from '../support/db.js';
import type { TenantFixture, TestControlPlane } from '../support/control-plane.js';
import type { PlatformServer } from '../support/platforms/platform-server.js';
import { isSecret, js, pb, req, secret, urnOf, type Plugin } from './support/engine.js';
import { Severity, type TestEngine } from './support/test-engine.js';
import { pluginWithEngine, type PluginWithEngine } from './support/plugin-with-engine.js';

const GOOD_KEY = 'sk-ant-admin01-PULUMI-wait-good-5c7e19';
const REFUSED_KEY = 'sk-ant-admin01-PULUMI-wait-refused-a04d';

/** The partial-success detail the engine reads from a failed Create or Update. */
function initFailure(err: any): InstanceType<typeof pb.ErrorResourceInitFailed> | undefined {
  const bin = err.metadata?.get('grpc-status-details-bin')?.[0];
  if (!bin) return undefined;
  const any = statusPb.Status.deserializeBinary(bin).getDetailsList()[0];
  return any?.unpack(pb.ErrorResourceInitFailed.deserializeBinary, 'pulumirpc.ErrorResourceInitFailed') ?? undefined;
}

for (const kind of dbKinds()) {
  describe(`pulumi LlmConnector waits for its credential test [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    let platforms: PlatformServer;
    let t: TenantFixture;
    let p: Plugin;
    let engine: TestEngine;
    const U = urnOf('LlmConnector', 'claude');

    let set: PluginWithEngine | undefined;
    before(async () => {
      set = await pluginWithEngine(kind, GOOD_KEY);
      ({ cp, platforms, t, engine, p } = set);
    });
    after(async () => set?.close());

    const inputsWith = (credential: string, name = 'Claude') => ({ platform: 'claude', name, credential: secret(credential), baseUrl: platforms.baseUrl('claude') });
    const checked = async (inputs: Record<string, unknown>) => js((await p.call<any>('check', req.check(U, inputs))).getInputs());

    it('a refused credential fails create with the platform answer, the connector kept; the retry and a rename do not fail again; a good credential fixes it in place', async () => {
      const refused = await checked(inputsWith(REFUSED_KEY));
      const err: any = await p.call('create', req.create(U, refused)).then(
        () => assert.fail('a refused credential must fail create'),
        (e) => e,
      );
      assert.match(err.details, /LlmConnector llm_\w+ ended in status failed: invalid_credential: Anthropic rejected the API key \(authentication_error\).*\(property credential\)/);
      assert.ok(!String(err.details).includes(REFUSED_KEY), 'the credential is not quoted');
      const init = initFailure(err);
      assert.ok(init, 'ErrorResourceInitFailed: the engine keeps the connector in state');
      const id = init!.getId();
      assert.match(id, /^llm_/);
      let outs = js(init!.getProperties());
      assert.equal(outs.status, 'failed');
      assert.ok(isSecret(outs.ingestCredential) && /^ingest_/.test(String((outs.ingestCredential as { value: unknown }).value)), 'the ingest credential, shown only by the create answer, is kept');
      assert.equal((await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token })).body.status, 'failed', 'kept, not deleted');

      // The next `pulumi up` retries a resource with init errors as an Update of the same inputs.
      outs = js((await p.call<any>('update', req.update(U, id, outs, refused, false, refused))).getProperties());
      assert.equal(outs.status, 'failed', 'still failed, and not reported again');

      // A new name cannot change the verdict: no wait, no failure.
      const renamed = await checked(inputsWith(REFUSED_KEY, 'Claude (EU)'));
      const diff = await p.call<any>('diff', req.diff(U, id, outs, renamed, refused));
      assert.deepEqual(diff.getDiffsList(), ['name']);
      assert.ok(diff.getStablesList().includes('status'), 'a rename leaves status as it is');
      outs = js((await p.call<any>('update', req.update(U, id, outs, renamed, false, refused))).getProperties());
      assert.equal(outs.name, 'Claude (EU)');
      assert.equal(outs.status, 'failed');

      // The fix, in place: the same connector takes a good credential and passes its test.
      const fixed = await checked(inputsWith(GOOD_KEY, 'Claude (EU)'));
      const fixDiff = await p.call<any>('diff', req.diff(U, id, outs, fixed, renamed));
      assert.deepEqual(fixDiff.getReplacesList(), [], 'in place');
      assert.ok(!fixDiff.getStablesList().includes('status'), 'a new credential may change status');
      outs = js((await p.call<any>('update', req.update(U, id, outs, fixed, false, renamed))).getProperties());
      assert.equal(outs.status, 'connected', 'the update waited for the test');

      // A refused credential sent by an update fails it, naming the credential; the connector stays.
      const broken = await checked(inputsWith(REFUSED_KEY, 'Claude (EU)'));
      const upErr: any = await p.call('update', req.update(U, id, outs, broken, false, fixed)).then(
        () => assert.fail('a refused credential must fail the update'),
        (e) => e,
      );
      assert.match(upErr.details, /ended in status failed: invalid_credential: Anthropic rejected the API key.*\(property credential\)/);
      assert.equal(initFailure(upErr)?.getId(), id);
      assert.equal(js(initFailure(upErr)!.getProperties()).status, 'failed');
      await p.call('delete', req.delete(U, id, outs));
    });

    it('a base_url the platform answers 404 on fails create naming property baseUrl (review v8a F1)', async () => {
      const typo = await checked({ ...inputsWith(GOOD_KEY), baseUrl: `${platforms.url}/typo` });
      const err: any = await p.call('create', req.create(U, typo)).then(
        () => assert.fail('a refused request must fail create'),
        (e) => e,
      );
      assert.match(err.details, /ended in status failed: platform_rejected_request: the claude API answered HTTP 404.*\(property baseUrl\)/);
      const init = initFailure(err);
      assert.ok(init);
      await p.call('delete', req.delete(U, init!.getId(), js(init!.getProperties())));
    });

    it('a create whose wait runs out with no verdict succeeds with the connector still untested, not an init error (review v8a F2)', async () => {
      // Accepts connections and never answers: no verdict within the 2 s create timeout.
      const held = new Set<Socket>();
      const silent = createServer((socket) => void held.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
      try {
        const inputs = await checked({ ...inputsWith(GOOD_KEY), baseUrl: `http://127.0.0.1:${(silent.address() as { port: number }).port}/claude` });
        const res = await p.call<any>('create', req.create(U, inputs, false, 2));
        const id = res.getId();
        const outs = js(res.getProperties());
        assert.equal(outs.status, 'untested');
        assert.ok(isSecret(outs.ingestCredential), 'the ingest credential is kept');
        assert.equal((await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token })).body.status, 'untested', 'kept on the control plane');
        await p.call('delete', req.delete(U, id, outs));
      } finally {
        for (const s of held) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('an update of baseUrl whose wait runs out with no verdict succeeds with the new outputs, untested, and warns naming customTimeouts.update', async () => {
      const inputs = await checked(inputsWith(GOOD_KEY));
      const created = await p.call<any>('create', req.create(U, inputs));
      const id = created.getId();
      let outs = js(created.getProperties());
      assert.equal(outs.status, 'connected');
      const held = new Set<Socket>();
      const silent = createServer((socket) => void held.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
      try {
        const baseUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}/claude`;
        const moved = await checked({ ...inputsWith(GOOD_KEY), baseUrl });
        engine.logs.splice(0);
        // Accepts connections and never answers: no verdict within the 2 s update timeout.
        const update = req.update(U, id, outs, moved, false, inputs);
        update.setTimeout(2);
        outs = js((await p.call<any>('update', update)).getProperties());
        assert.equal(outs.status, 'untested', 'no init error: the update is made, nobody judged it yet');
        assert.equal(outs.baseUrl, baseUrl, 'the new value is in the outputs');
        assert.ok(isSecret(outs.ingestCredential), 'the ingest credential is kept');
        assert.deepEqual(
          engine.logs.map((l) => [l.severity, l.urn]),
          [[Severity.WARNING, U]],
        );
        assert.match(engine.logs[0]!.message, new RegExp(`^LlmConnector ${id} is still untested: no verdict within customTimeouts\\.update\\. It was updated, but nothing judged it within 2 s`));
        assert.match(engine.logs[0]!.message, /Its new values are kept, and the control plane goes on testing it; .* Raise the resource's customTimeouts\.update to wait longer\.$/);
        const now = (await cp.request('GET', `/api/v1/llm/connectors/${id}`, { token: t.token })).body;
        assert.equal(now.status, 'untested');
        assert.equal(now.base_url, baseUrl);
        await p.call('delete', req.delete(U, id, outs));
      } finally {
        for (const s of held) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
}
