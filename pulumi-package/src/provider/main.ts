/**
 * `pulumi-resource-claresia`: the engine starts it (with its own address as the argument),
 * reads the port from the first line of stdout and speaks gRPC to it. Nothing else may reach
 * stdout; diagnostics go to stderr, which the engine shows.
 */
import { ClaresiaProvider } from './provider.js';
import { serve } from './server.js';

const { port } = await serve(new ClaresiaProvider());
process.stdout.write(`${port}\n`);
