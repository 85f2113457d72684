import type { DbKind } from '../../support/db.js';
import { startControlPlane, type TenantFixture, type TestControlPlane } from '../../support/control-plane.js';
import { startPlatformServer, type PlatformServer } from '../../support/platforms/platform-server.js';
import { launchPlugin, req, secret, type Plugin } from './engine.js';
import { startTestEngine, type TestEngine } from './test-engine.js';

export interface PluginWithEngine {
  cp: TestControlPlane;
  platforms: PlatformServer;
  /** A tenant in Mode A, which the plugin is configured as. */
  t: TenantFixture;
  engine: TestEngine;
  p: Plugin;
  close(): Promise<void>;
}

/**
 * The set-up of the suites that drive the plugin against a real control plane and watch the
 * engine's log: a platform double whose claude account takes `platformKey`, a control plane that
 * may call it on loopback, a tenant, a test engine, and the plugin launched with that engine's
 * address and configured with the tenant's token.
 */
export async function pluginWithEngine(kind: DbKind, platformKey: string): Promise<PluginWithEngine> {
  const platforms = await startPlatformServer();
  platforms.addAccount('claude', { credential: platformKey, scopes: ['skills'] });
  const cp = await startControlPlane({ db: kind, config: { allowPrivateUrls: true } });
  const t = await cp.createTenant({ deployment_mode: 'A' });
  const engine = await startTestEngine();
  const p = await launchPlugin({}, engine.address);
  await p.call('configure', req.configure({ endpoint: cp.url, token: secret(t.token) }));
  return {
    cp,
    platforms,
    t,
    engine,
    p,
    async close() {
      await p.stop();
      await engine.close();
      await cp.close();
      await platforms.close();
    },
  };
}
