/**
 * `pulumi-resource-claresia`: the engine starts it (with its own address as the argument),
 * reads the port from the first line of stdout and speaks gRPC to it. Nothing else may reach
 * stdout; diagnostics go to stderr, which the engine shows.
 */
import { dataSources, resources } from '@claresia/catalog';
import { EngineLog, engineAddress } from './engine-log.js';
import { ClaresiaProvider } from './provider.js';
import { serve } from './server.js';

// Warnings reach the user through the engine's log, at the address the engine started us with.
const log = new EngineLog(engineAddress(process.argv.slice(2)));
const { port } = await serve(new ClaresiaProvider(resources, dataSources, process.env, log));
process.stdout.write(`${port}\n`);
