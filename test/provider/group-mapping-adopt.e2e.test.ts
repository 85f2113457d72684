/**
 * claresia_group_mapping for a group that a default mapping maps already (review r9 F5), with the
 * real terraform: the create is refused with the API's own message (naming the mapping), and the
 * error goes on with the import block that adopts that mapping. Following it imports the
 * mapping, applies the configured role to it, and plans empty; nothing was created meanwhile.
 */
import assert from 'node:assert/strict';
import { dbKinds } from '../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../support/control-plane.js';
import { buildProvider, providerBlock, workspace, type Workspace } from './support/terraform.js';

const mapping = (role: string) => `
resource "claresia_group_mapping" "users" {
  group = "claresia-users"
  role  = "${role}"
}
`;

for (const kind of dbKinds()) {
  describe(`claresia_group_mapping over a default mapping [${kind}]`, function () {
    this.timeout(180_000);
    let cp: TestControlPlane;
    let t: TenantFixture;
    let ws: Workspace;
    const mappings = async () => (await cp.request('GET', '/api/v1/identity/group-mappings', { token: t.token })).body.items as Array<{ id: string; group: string; role: string }>;

    before(async () => {
      await buildProvider();
      cp = await startControlPlane({ db: kind });
      t = await cp.createTenant();
      ws = workspace({ env: { CLARESIA_ENDPOINT: cp.url, CLARESIA_TOKEN: t.token } });
    });
    after(async () => {
      ws?.close();
      await cp?.close();
    });

    it('a create is refused with the import block of the existing mapping, and that block adopts it', async () => {
      const before = await mappings();
      const existing = before.find((m) => m.group === 'claresia-users')!;
      assert.ok(existing, `claresia-users is a default mapping: ${JSON.stringify(before)}`);

      ws.write('main.tf', providerBlock + mapping('auditor'));
      const refused = await ws.tf('apply', '-auto-approve');
      assert.equal(refused.code, 1, refused.stdout);
      const text = refused.stdout + refused.stderr;
      // Terraform wraps a diagnostic's text to its width; the HCL block's lines are kept.
      const flat = text.replace(/\s+/g, ' ');
      assert.ok(flat.includes(`Error: Creating claresia_group_mapping: group "claresia-users" is already mapped by ${existing.id}; change that mapping instead`), text);
      assert.ok(flat.includes(`To manage ${existing.id} with Terraform instead of creating another, import it: add`), text);
      assert.ok(text.includes(`import {\n  to = claresia_group_mapping.<this resource's name>\n  id = "${existing.id}"\n}`), text);
      assert.ok(flat.includes(`terraform import claresia_group_mapping.<this resource's name> ${existing.id}`), text);
      assert.deepEqual(await mappings(), before, 'nothing created or changed');
      assert.equal(ws.state()?.resources?.length ?? 0, 0);

      // The advice as written, with this resource's name.
      ws.write('main.tf', `${providerBlock}${mapping('auditor')}\nimport {\n  to = claresia_group_mapping.users\n  id = "${existing.id}"\n}\n`);
      const applied = await ws.ok(['apply', '-auto-approve']);
      assert.match(applied.stdout, /1 imported, 0 added, 1 changed, 0 destroyed/);
      const after = await mappings();
      assert.equal(after.length, before.length);
      assert.equal(after.find((m) => m.id === existing.id)!.role, 'auditor');
      await ws.ok(['plan', '-detailed-exitcode'], 0);
    });
  });
}
