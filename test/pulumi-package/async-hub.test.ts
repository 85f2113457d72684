/**
 * An asynchronous resource through the plugin: a Mode B Hub created with tenant service-account
 * credentials (token exchange in the shared client), polled until ready; a Mode C Hub that
 * cannot become ready is reported with its id so the engine keeps it in state.
 */
import assert from 'node:assert/strict';
import statusPb from '@pulumi/pulumi/proto/status_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { startMtlsEndpoint } from '../support/platforms/mtls-server.js';
import { isSecret, js, launchPlugin, pb, req, secret, urnOf, type Plugin } from './support/engine.js';

const FAST_WORKER = {
  CLARESIA_HUB_POLL_MS: '40',
  CLARESIA_HUB_RETRY_MS: '60',
  CLARESIA_HUB_MAX_RETRY_MS: '200',
  CLARESIA_HUB_LINK_DEADLINE_SECONDS: '2',
};

/** The partial-success detail the engine reads from a failed Create. */
function initFailure(err: any): InstanceType<typeof pb.ErrorResourceInitFailed> | undefined {
  const bin = err.metadata?.get('grpc-status-details-bin')?.[0];
  if (!bin) return undefined;
  const status = statusPb.Status.deserializeBinary(bin);
  const any = status.getDetailsList()[0];
  return any?.unpack(pb.ErrorResourceInitFailed.deserializeBinary, 'pulumirpc.ErrorResourceInitFailed') ?? undefined;
}

for (const kind of dbKinds()) {
  describe(`pulumi provider, asynchronous Hub [${kind}]`, function () {
    this.timeout(60_000);
    let cp: TestControlPlane;
    const saved: Record<string, string | undefined> = {};
    const H = (name: string) => urnOf('Hub', name);

    before(async () => {
      for (const [k, v] of Object.entries(FAST_WORKER)) {
        saved[k] = process.env[k];
        process.env[k] = v;
      }
      cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
    });
    after(async () => {
      await cp?.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    async function tenantPlugin(t: TenantFixture): Promise<Plugin> {
      const p = await launchPlugin();
      await p.call('configure', req.configure({ endpoint: cp.url, clientId: t.clientId, clientSecret: secret(t.clientSecret) }));
      return p;
    }

    it('Mode B: created with a service account, polled until ready, no diff, replaced on any change, deleted', async () => {
      const t = await cp.createTenant({ deployment_mode: 'B' });
      const p = await tenantPlugin(t);
      try {
        const inputs = { mode: 'B', region: 'eu-central-1' };
        const check = await p.call<any>('check', req.check(H('b'), inputs));
        assert.equal(check.getFailuresList().length, 0);
        const created = await p.call<any>('create', req.create(H('b'), inputs));
        const id = created.getId();
        assert.match(id, /^hub_/);
        const outs = js(created.getProperties());
        assert.equal(outs.status, 'ready', 'Create returns once the Hub is ready');
        assert.match(String(outs.cmekKeyId), /.+/);
        assert.equal(outs.tenantId, t.id);
        assert.equal(await cp.count('cmek_keys', { tenant_id: t.id }), 1);

        const same = await p.call<any>('diff', req.diff(H('b'), id, outs, inputs, inputs));
        assert.equal(same.getChanges(), pb.DiffResponse.DiffChanges.DIFF_NONE);
        // `pulumi import`: Read with the id alone, then the program's inputs plan nothing (or the engine refuses the import).
        const imported = await p.call<any>('read', req.read(H('b'), id, {}));
        assert.deepEqual(js(imported.getInputs()), inputs);
        const afterImport = await p.call<any>('diff', req.diff(H('b'), id, js(imported.getProperties()), inputs, js(imported.getInputs())));
        assert.equal(afterImport.getChanges(), pb.DiffResponse.DiffChanges.DIFF_NONE);
        // No update operation: every input change replaces, exactly as the Terraform provider plans it.
        const moved = await p.call<any>('diff', req.diff(H('b'), id, outs, { ...inputs, region: 'eu-west-1' }, inputs));
        assert.deepEqual(moved.getReplacesList(), ['region']);
        assert.equal(moved.getDeletebeforereplace(), true, 'one Hub per tenant: delete first');

        const read = await p.call<any>('read', req.read(H('b'), id, outs, inputs));
        assert.equal(read.getId(), id);
        assert.equal(js(read.getProperties()).status, 'ready');

        await p.call('delete', req.delete(H('b'), id, outs));
        const gone = await cp.request('GET', `/api/v1/hubs/${id}`, { token: t.token });
        assert.equal(gone.status, 404);
        const after = await p.call<any>('read', req.read(H('b'), id, outs, inputs));
        assert.equal(after.getId(), '');
        assert.doesNotMatch(p.stderr(), new RegExp(t.clientSecret));
      } finally {
        await p.stop();
      }
    });

    it('Mode C that never links: a create timeout, a cancelled run, then a failed status, each reported with the Hub id so it is not leaked', async () => {
      // An endpoint that answers but never trusts the Hub's certificate: the wait goes on (one that
      // cannot be reached at all ends it with a warning instead, hub-unreachable-wait.test.ts).
      const stranger = await startMtlsEndpoint();
      const t = await cp.createTenant({ deployment_mode: 'C' });
      let p = await tenantPlugin(t);
      try {
        const inputs = { mode: 'C', mtlsEndpointUrl: stranger.url, customerCaCertificate: stranger.ca.pem };
        const started = Date.now();
        let err: any;
        await p.call('create', req.create(H('c'), inputs, false, 0.5)).catch((e) => (err = e));
        assert.ok(err, 'create must fail');
        assert.match(err.details, /timed out after .* waiting for status to be ready/);
        assert.ok(Date.now() - started < 1800, 'the custom timeout is honoured, not the link deadline');
        const first = initFailure(err);
        assert.ok(first, 'ErrorResourceInitFailed detail');
        assert.match(first!.getId(), /^hub_/);
        assert.equal(js(first!.getProperties()).status, 'provisioning');
        // The next `pulumi up` retries a resource with init errors as an Update of the same inputs: it waits again, and says so when it still is not ready.
        const retry = req.update(H('c'), first!.getId(), js(first!.getProperties()), inputs, false, inputs);
        retry.setTimeout(0.5);
        const retried = await p.call('update', retry).then(
          () => assert.fail('a Hub still provisioning must not be reported ready'),
          (e) => e,
        );
        assert.match(retried.details, /timed out after .* waiting for status to be ready/);
        assert.equal(initFailure(retried)?.getId(), first!.getId(), 'still recorded, with its id');
        await p.call('delete', req.delete(H('c'), first!.getId(), js(first!.getProperties())));

        // The engine's Cancel (Ctrl-C) ends the wait at once; the Hub is still reported with its id.
        const cancelledAt = { t: 0 };
        const pending = p.call('create', req.create(H('c3'), inputs)).then(
          () => assert.fail('create must not succeed'),
          (e) => e,
        );
        setTimeout(() => {
          cancelledAt.t = Date.now();
          void p.call('cancel', new emptyPb.Empty());
        }, 300);
        err = await pending;
        assert.match(err.details, /cancelled while waiting for status to be ready/);
        assert.ok(Date.now() - cancelledAt.t < 1000, 'stopped promptly, before the 2 s link deadline');
        const third = initFailure(err);
        assert.match(third!.getId(), /^hub_/);
        await p.stop();
        p = await tenantPlugin(t);
        await p.call('delete', req.delete(H('c3'), third!.getId(), js(third!.getProperties())));

        err = undefined;
        await p.call('create', req.create(H('c2'), inputs)).catch((e) => (err = e));
        assert.ok(err);
        assert.match(err.details, /ended in status failed/);
        const second = initFailure(err);
        assert.match(second!.getId(), /^hub_/);
        assert.ok(!isSecret(js(second!.getProperties()).status));
        // Retried by the next `pulumi up`: a failed Hub cannot become ready, and the error says what to do.
        const retriedFailed = await p.call('update', req.update(H('c2'), second!.getId(), js(second!.getProperties()), inputs, false, inputs)).then(
          () => assert.fail('a failed Hub must not be reported ready'),
          (e) => e,
        );
        assert.match(retriedFailed.details, /ended in status failed.*pulumi up --replace/s);
        assert.equal(initFailure(retriedFailed)?.getId(), second!.getId());
        // Leave no Hub for the background provisioner to work on while the database is dropped.
        await p.call('delete', req.delete(H('c2'), second!.getId(), js(second!.getProperties())));
      } finally {
        await p.stop();
        await stranger.close();
      }
    });
  });
}
