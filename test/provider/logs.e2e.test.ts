/**
 * The provider's log records as Terraform's log file carries them: parsed by go-plugin (level,
 * message, fields), so TF_LOG_PROVIDER=INFO keeps the provider's info records. A record go-plugin
 * cannot parse is passed on raw at DEBUG, and dropped at any other level.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProvider, providerBlock, workspace } from './support/terraform.js';

describe("the provider's logs in terraform's log", function () {
  this.timeout(60_000);
  before(() => buildProvider());

  it('are records terraform parses, not raw JSON lines', async () => {
    const ws = workspace();
    const logFile = path.join(ws.dir, 'tf.log');
    Object.assign(ws.env, { TF_LOG_PROVIDER: 'DEBUG', TF_LOG_PATH: logFile });
    try {
      // No state, so plan reads nothing; configure's token check finds nothing listening at port 1,
      // which fails nothing (each request would retry), and configure logs where it points.
      ws.write('main.tf', `${providerBlock}provider "claresia" {\n  endpoint    = "http://127.0.0.1:1"\n  token       = "op_logs"\n}\nresource "claresia_group_mapping" "a" {\n  group = "claresia-logs"\n  role  = "member"\n}\n`);
      await ws.ok(['plan']);
      const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('provider.terraform-provider-claresia:'));
      assert.ok(lines.some((l) => /\[DEBUG\] provider\.terraform-provider-claresia: configured: .*endpoint=http:\/\/127\.0\.0\.1:1/.test(l)), lines.join('\n'));
      assert.deepEqual(lines.filter((l) => l.includes('{"@level"')), [], 'no record passed on unparsed');
      assert.ok(!readFileSync(logFile, 'utf8').includes('op_logs'), 'the token is never logged');
    } finally {
      ws.close();
    }
  });
});
