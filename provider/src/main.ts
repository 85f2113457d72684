/**
 * Entry point of terraform-provider-claresia. Start-up is paid on every launch (Terraform
 * starts the provider several times per command), so only the plugin server runs before the
 * handshake; the catalog, client and value codec are initialised while Terraform connects.
 */
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, serve } from './plugin/server.js';
import { log, logs } from './plugin/log.js';
import { skipOptimizingCompiler } from './plugin/tiering.js';

async function main() {
  if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
    process.stderr.write(
      'This binary is a plugin. These are not meant to be executed directly.\n' +
        'Please execute the program that consumes these plugins, which will\n' +
        'load any plugins automatically.\n\nterraform-provider-claresia is launched by Terraform; see provider/docs/index.md.\n',
    );
    process.exit(1);
  }

  // A Ctrl-C reaches every process in the terminal's group; Terraform then asks the provider to
  // stop through StopProvider, so the signal itself is not a reason to die mid-request.
  process.on('SIGINT', () => log('debug', 'SIGINT received; waiting for terraform'));

  let handlers: ReturnType<typeof load> | undefined;
  const load = () =>
    import('./provider.js').then((m) => {
      const provider = m.createProvider();
      // Every builtin module the calls need is loaded by now (see plugin/tiering.ts).
      skipOptimizingCompiler();
      return provider;
    });
  const served = await serve({
    handlers: () => (handlers ??= load()),
    onShutdown: () => process.exit(0),
  });
  // Before the handshake: a SIGTERM that meets no listener ends the process at once, leaving
  // its socket directory behind.
  process.on('SIGTERM', () => void served.shutdown().then(() => process.exit(0)));
  process.stdout.write(served.handshake + '\n');
  // Guarded: the first use of `performance` loads perf_hooks (nine modules, ~1.5 ms).
  if (logs('trace')) log('trace', 'handshake written', { ms_since_start: Math.round(performance.now()) });
  setImmediate(() => (handlers ??= load()));
}

void main().catch((err: Error) => {
  log('error', 'provider failed to start', { error: err.message });
  process.exit(1);
});
