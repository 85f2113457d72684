/**
 * claresia_webhook with the real terraform: create (events compared as a set, the write-only
 * secret in no state), a delivery signed with that secret, events changed in place, a new
 * secret sent only with a new secret_wo_version, the rotation overlap (none by default; the
 * configured one applies to a rotation that changes only the secret; lowered to 0, it ends),
 * an unknown event type or a bad overlap refused at plan naming the attribute, import by id
 * (clean once its secret_wo_version is set), destroy.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { verifySignature } from '../../control-plane/src/webhooks/signature.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { until, withEnv } from '../support/until.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { makeDirectory, scim, user, type Directory } from '../control-plane/scim/helpers.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const SECRET = 'whsec-terraform-0123456789';
const ROTATED = 'whsec-terraform-rotated-9876543210';
const THIRD = 'whsec-terraform-third-5555555555';

const config = (url: string, events: string[], version = 1, overlap?: number) => `${providerBlock}
variable "webhook_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "claresia_webhook" "hook" {
  url               = "${url}"
  events            = ${JSON.stringify(events)}
  secret            = var.webhook_secret
  secret_wo_version = ${version}${overlap === undefined ? '' : `
  secret_overlap_seconds = ${overlap}`}
}
`;

describe('claresia_webhook with terraform', function () {
  this.timeout(180_000);
  let cp: TestControlPlane;
  let t: TenantFixture;
  let ws: Workspace;
  let receiver: WebhookReceiver;
  let dir: Directory;
  let restoreEnv = () => {};
  const hook = () => ws.state().resources.find((r: any) => r.type === 'claresia_webhook').instances[0].attributes;
  const read = (id: string) => cp.request('GET', `/api/v1/webhooks/${id}`, { token: t.token });
  const delivered = async (email: string) => {
    await scim(cp, dir)('POST', '/Users', user(email));
    return until(`the event for ${email}`, () => receiver.accepted().find((r) => r.json?.data?.user_name === email));
  };

  before(async () => {
    restoreEnv = withEnv({ CLARESIA_JOBS_POLL_MS: '50' });
    await buildProvider();
    receiver = await startWebhookReceiver();
    cp = await startControlPlane({ config: { allowPrivateUrls: true } });
    t = await cp.createTenant();
    dir = await makeDirectory(cp, t);
    ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token, TF_VAR_webhook_secret: SECRET } });
  });
  after(async () => {
    ws?.close();
    await cp?.close();
    await receiver?.close();
    restoreEnv();
  });

  it('creates a webhook that re-plans empty, keeps the secret out of state and signs deliveries with it', async () => {
    ws.write('main.tf', config(receiver.url, ['user.updated', 'user.created']));
    const plan = await ws.ok(['plan']);
    assert.match(plan.stdout, /secret\s+= \(write-only attribute\)/);
    await ws.ok(['apply', '-auto-approve']);
    const h = hook();
    assert.match(h.id, /^whk_[0-9a-f]{16}$/);
    assert.equal(h.secret, null);
    assert.deepEqual([...h.events].sort(), ['user.created', 'user.updated']);
    assert.equal(h.secret_overlap_seconds, 0);
    assert.equal(h.previous_secret_expires_at, null);
    assert.ok(!readFileSync(path.join(ws.dir, 'terraform.tfstate'), 'utf8').includes(SECRET), 'the secret is in no state');
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const got = await delivered('tf1@acme.example');
    assert.ok(verifySignature(SECRET, got.body, got.signature, Math.floor(Date.now() / 1000)));
  });

  it('changes events in place, and sends a new secret only with a new secret_wo_version', async () => {
    const id = hook().id;
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.deactivated']));
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(hook().id, id);
    assert.deepEqual((await read(id)).body.events, ['user.created', 'user.deactivated']);

    ws.env.TF_VAR_webhook_secret = ROTATED;
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    // The overlap asked for in the same apply as the new secret is the one that rotation gets.
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.deactivated'], 2, 86400));
    const rotation = await ws.ok(['plan']);
    assert.match(rotation.stdout, /previous_secret_expires_at\s+= \(known after apply\)/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const api = (await read(id)).body;
    assert.equal(hook().secret_overlap_seconds, 86400);
    assert.equal(hook().previous_secret_expires_at, api.previous_secret_expires_at);
    assert.ok(Date.parse(api.previous_secret_expires_at) > Date.now() + 86_000_000, api.previous_secret_expires_at);
    const got = await delivered('tf2@acme.example');
    assert.ok(verifySignature(ROTATED, got.body, got.signature, Math.floor(Date.now() / 1000)), 'signed with the new secret');
    assert.ok(verifySignature(SECRET, got.body, got.signature, Math.floor(Date.now() / 1000)), 'and with the replaced one, during the overlap');
    assert.equal(got.signature.split(',').filter((p) => p.startsWith('v1=')).length, 2);

    // A later rotation changes only the secret (PATCH sends what changed): the configured overlap still applies.
    ws.env.TF_VAR_webhook_secret = THIRD;
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.deactivated'], 3, 86400));
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const third = await delivered('tf3@acme.example');
    assert.ok(verifySignature(THIRD, third.body, third.signature, Math.floor(Date.now() / 1000)));
    assert.ok(verifySignature(ROTATED, third.body, third.signature, Math.floor(Date.now() / 1000)), 'the replaced secret signs during the overlap');

    // The replaced secret leaked: overlap 0 ends the overlap at once; one v1 again.
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.deactivated'], 3, 0));
    await ws.ok(['apply', '-auto-approve']);
    assert.equal(hook().previous_secret_expires_at, null);
    assert.equal((await read(id)).body.previous_secret_expires_at, null);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    const single = await delivered('tf4@acme.example');
    assert.equal(single.signature.split(',').filter((p) => p.startsWith('v1=')).length, 1, single.signature);
    assert.ok(!verifySignature(ROTATED, single.body, single.signature, Math.floor(Date.now() / 1000)));

    // Back to no overlap in the configuration: removing the attribute plans nothing (0 is the default).
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.deactivated'], 3));
    await ws.ok(['plan', '-detailed-exitcode'], 0);
  });

  it('refuses an unknown event type at plan, naming the attribute', async () => {
    ws.write('main.tf', config(receiver.url, ['user.created', 'user.exploded'], 3));
    const bad = await ws.tf('plan');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /events/);
    assert.match(bad.stderr, /user\.deactivated/, 'lists the accepted types');
    // The API refuses a webhook with no events: so does the plan, before anything is sent.
    ws.write('main.tf', config(receiver.url, [], 3));
    const none = await ws.tf('plan');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /Invalid value for events[\s\S]*events\s+= \[\][\s\S]*must have at least 1 element/);
    ws.write('main.tf', config(receiver.url, ['user.created'], 3, 604801));
    const long = await ws.tf('plan');
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /secret_overlap_seconds/);
  });

  it('imports by id (then only secret_wo_version is planned), re-plans clean, destroys', async () => {
    const id = hook().id;
    ws.write('main.tf', config(receiver.url, ['user.deactivated', 'user.created'], 3));
    await ws.ok(['state', 'rm', 'claresia_webhook.hook']);
    await ws.ok(['import', 'claresia_webhook.hook', id]);
    assert.equal(hook().id, id);
    // Import cannot know the write-only version: setting it (which re-sends the secret) is the only change.
    const plan = await ws.ok(['plan', '-detailed-exitcode'], 2);
    assert.match(plan.stdout, /\+ secret_wo_version\s+= 3/);
    assert.match(plan.stdout, /\(\d+ unchanged attributes hidden\)/);
    assert.doesNotMatch(plan.stdout, /secret_overlap_seconds/, 'read back on import, so not planned');
    // Sending the secret may rotate it (Terraform cannot compare it), so this is not known before the apply.
    assert.match(plan.stdout, /previous_secret_expires_at\s+= \(known after apply\)/);
    assert.match(plan.stdout, /0 to add, 1 to change, 0 to destroy/);
    await ws.ok(['apply', '-auto-approve']);
    await ws.ok(['plan', '-detailed-exitcode'], 0);
    await ws.ok(['destroy', '-auto-approve']);
    assert.equal((await read(id)).status, 404);
  });
});
