/**
 * The engine's log (`pulumirpc.Engine/Log`): what the Terraform provider reports as a warning
 * diagnostic reaches a Pulumi user here, shown against the resource it is about. Without it, a
 * create kept unverified (a platform out of reach) would look like any other success.
 *
 * Logging is a courtesy to the user, never a condition of the operation: no connection is made
 * until there is something to say, a call is bounded by a deadline, and a call that fails puts
 * the message on stderr (which the engine also shows) instead of failing anything.
 */
import * as grpc from '@grpc/grpc-js';
import services from '@pulumi/pulumi/proto/engine_grpc_pb.js';
import enginePb from '@pulumi/pulumi/proto/engine_pb.js';

/** The engine runs beside the plugin and answers at once; this only bounds an engine gone silent. */
const DEFAULT_DEADLINE_MS = 5_000;

/**
 * The engine's address from the plugin's arguments. The engine puts its own flags first
 * (`--logtostderr`, `-v=N`, `--tracing <endpoint>` when asked for verbose logs or traces),
 * then the address.
 */
export function engineAddress(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tracing') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

export class EngineLog {
  private client: InstanceType<typeof services.EngineClient> | undefined;

  constructor(
    private address?: string,
    private readonly deadlineMs = DEFAULT_DEADLINE_MS,
    private readonly fallback: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  /** The engine's Attach names its address (a provider started by hand, for a debugger). */
  attach(address: string): void {
    if (address === this.address) return;
    this.close();
    this.address = address;
  }

  /** Resolves once the engine has the message, or it went to stderr instead; never rejects. */
  warn(urn: string, message: string): Promise<void> {
    return this.send(enginePb.LogSeverity.WARNING, urn, message);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private send(severity: enginePb.LogSeverity, urn: string, message: string): Promise<void> {
    const instead = (why: string) => this.fallback(`warning: ${urn}: ${message} (the engine's log ${why})`);
    if (!this.address) {
      instead('is not known: no engine address was given');
      return Promise.resolve();
    }
    const req = new enginePb.LogRequest();
    req.setSeverity(severity);
    req.setMessage(message);
    req.setUrn(urn);
    return new Promise((resolve) => {
      try {
        this.client ??= new services.EngineClient(this.address!, grpc.credentials.createInsecure());
        this.client.log(req, new grpc.Metadata(), { deadline: Date.now() + this.deadlineMs }, (err) => {
          if (err) instead(`at ${this.address} did not take it: ${err.details || err.message}`);
          resolve();
        });
      } catch (err) {
        // A malformed address throws here, before any call.
        instead(`at ${this.address} cannot be used: ${(err as Error).message}`);
        resolve();
      }
    });
  }
}
