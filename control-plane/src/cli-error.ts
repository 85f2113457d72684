/**
 * A CLI failure that knows its exit status. Scheduled runs tell outcomes apart by it: for
 * `health` and `verify-audit`, 1 is a verdict (red, a broken chain) and 2 means the check did
 * not run (bad arguments, no credentials, the server or database unreachable), so a cron that
 * alerts on 1 does not cry wolf when it was merely misconfigured.
 */
export class CliError extends Error {
  readonly exitCode: number;
  /** Print the command's usage after the message (a mistake in the arguments). */
  readonly usage: boolean;

  constructor(message: string, exitCode: number, opts: { usage?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.exitCode = exitCode;
    this.usage = opts.usage ?? false;
  }
}
