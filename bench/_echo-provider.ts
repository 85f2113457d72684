/**
 * The floor of a Node provider on this transport, for bench/provider.ts: the real launcher,
 * plugin server (grpc-js behind AutoMTLS), schema and start-up as the provider's own main.ts,
 * but every call of a no-change plan answered without any work, by handing back what Terraform
 * sent (state as the prior state, no diagnostics, no API request). A plan through it costs
 * what any provider written as a Node program pays before doing anything of its own.
 * Only for no-change plans: anything else gets "not implemented" and fails the bench loudly.
 */
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, serve, type UnaryHandler } from '../provider/src/plugin/server.js';
import { skipOptimizingCompiler } from '../provider/src/plugin/tiering.js';

type Dynamic = { msgpack?: Buffer; json?: Buffer };

async function main() {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) process.exit(1);
  let handlers: Promise<Record<string, UnaryHandler>> | undefined;
  const load = async (): Promise<Record<string, UnaryHandler>> => {
    // The schema is the real one: Terraform checks every answer against it.
    const real = (await import('../provider/src/provider.js')).createProvider();
    skipOptimizingCompiler();
    const none = async () => ({});
    return {
      GetMetadata: real.GetMetadata!,
      GetProviderSchema: real.GetProviderSchema!,
      ValidateProviderConfig: none,
      ConfigureProvider: none,
      ValidateResourceConfig: none,
      StopProvider: none,
      // Terraform takes a DynamicValue as JSON as well as msgpack: the stored state goes back as it came.
      UpgradeResourceState: async (req: { raw_state: { json: Buffer } }) => ({ upgraded_state: { json: req.raw_state.json } satisfies Dynamic }),
      ReadResource: async (req: { current_state: Dynamic; private?: Buffer }) => ({ new_state: req.current_state, private: req.private }),
      PlanResourceChange: async (req: { prior_state: Dynamic; prior_private?: Buffer }) => ({ planned_state: req.prior_state, planned_private: req.prior_private }),
    };
  };
  const served = await serve({ handlers: () => (handlers ??= load()), onShutdown: () => process.exit(0) });
  process.on('SIGTERM', () => void served.shutdown().then(() => process.exit(0)));
  process.stdout.write(served.handshake + '\n');
  setImmediate(() => (handlers ??= load()));
}

void main();
