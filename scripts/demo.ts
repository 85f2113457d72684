/**
 * `npm run demo`: the whole job in one command, offline. Starts the control plane on the
 * embedded database (.data/demo, or CLARESIA_DEMO_DIR), builds the provider into a filesystem
 * mirror, applies examples/mode-a through the tenant module with the real terraform, and prints
 * the outputs and the tenant's health table. Running it again reuses the control plane and the
 * Terraform state, so the second apply changes nothing. The control plane keeps running
 * afterwards; `npm run demo -- stop` ends it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHealth, useColour, type HealthReport } from '../control-plane/src/health/cli-table.js';
import { ensureControlPlane, stopControlPlane } from './demo/control-plane.js';
import { buildProvider, checkTerraform, prepareTerraform, terraform } from './demo/terraform.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(process.env.CLARESIA_DEMO_DIR ?? path.join(root, '.data/demo'));
const say = (s: string) => process.stdout.write(`\n==> ${s}\n`);

async function tenantHealth(url: string, clientId: string, clientSecret: string): Promise<HealthReport> {
  const tok = await fetch(`${url}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  if (!tok.ok) throw new Error(`signing in as the tenant failed: HTTP ${tok.status} ${await tok.text()}`);
  const { access_token } = (await tok.json()) as { access_token: string };
  const res = await fetch(`${url}/api/v1/observability/tenant-health`, { headers: { Authorization: `Bearer ${access_token}` } });
  if (!res.ok) throw new Error(`reading tenant health failed: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as HealthReport;
}

async function demo() {
  const version = await checkTerraform();
  say(`control plane (embedded database in ${path.relative(root, dataDir) || dataDir})`);
  const cp = await ensureControlPlane(root, dataDir, process.env.DEMO_PORT);
  process.stdout.write(`${cp.reused ? 'reusing the one already running' : 'started'} at ${cp.url} (pid ${cp.pid}); log: ${cp.log}\n`);

  say('building the provider into a local filesystem mirror');
  await buildProvider(root);
  const tf = prepareTerraform(root, dataDir, cp.url, cp.operatorToken);
  process.stdout.write(`CLI config: ${tf.cliConfig}\n`);

  say(`terraform ${version}: init + apply of examples/mode-a (working copy: ${tf.dir})`);
  await terraform(tf, ['init', '-input=false', '-no-color'], false);
  await terraform(tf, ['apply', '-auto-approve', '-input=false', '-no-color'], true);

  say('outputs (terraform output; health is the table below)');
  const out = JSON.parse(await terraform(tf, ['output', '-json'], false)) as Record<string, { value: any; sensitive: boolean }>;
  for (const [name, o] of Object.entries(out)) {
    if (name === 'health') continue;
    const shown = o.sensitive ? '<sensitive>' : typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
    process.stdout.write(`${name.padEnd(18)} ${shown}\n`);
  }

  say(`tenant health (${out.tenant_id!.value})`);
  process.stdout.write(renderHealth(await tenantHealth(cp.url, out.client_id!.value, out.client_secret!.value), useColour(process.stdout)));

  say('done');
  process.stdout.write(
    `The control plane keeps running at ${cp.url} (pid ${cp.pid}); stop it with: npm run demo -- stop\n` +
      `Run it again: npm run demo (the control plane and the Terraform state are reused; nothing changes).\n` +
      `Terraform by hand:\n` +
      `  cd ${tf.dir}\n` +
      `  export TF_CLI_CONFIG_FILE=${tf.cliConfig} CLARESIA_ENDPOINT=${cp.url} CLARESIA_TOKEN=$(cat ${path.join(dataDir, 'control-plane/operator-token')})\n` +
      `  export TF_VAR_anthropic_api_key=${tf.env.TF_VAR_anthropic_api_key} TF_VAR_slack_bot_token=${tf.env.TF_VAR_slack_bot_token}\n` +
      `  terraform plan\n`,
  );
}

const command = process.argv[2];
(command === 'stop' ? stopControlPlane(dataDir).then((msg) => void process.stdout.write(msg + '\n')) : command === undefined ? demo() : Promise.reject(new Error(`unknown argument "${command}"; usage: npm run demo [-- stop]`))).catch(
  (err: Error) => {
    process.stderr.write(`demo failed: ${err.message}\n`);
    process.exitCode = 1;
  },
);
