/**
 * The provider lives for one Terraform step (a second or so) and spends it answering a few
 * hundred small calls. V8's optimizing compiler (TurboFan) starts on the hottest functions of
 * that path (grpc-js, Node's HTTP/2 streams, the codecs) after a few dozen calls and compiles
 * them on a background thread, the one core Terraform itself needs meanwhile; the process
 * exits before most of that code pays back. Measured on a no-change plan of 200 tenants: the
 * plan launch used ~100 ms (15-20%) less CPU with it off, and the plan was faster.
 *
 * The switch is made at run time, never on Node's command line: there, any V8 flag makes V8
 * reject the code cache Node ships for its own modules (~20 ms more per start). At run time it
 * still changes the flag hash V8 checks every cache against, so it is made only once the
 * handlers are loaded (a builtin module loaded later would be compiled without Node's cache),
 * and undone when the process exits, before the launcher writes the provider's own cache
 * (bin/launch.cjs): a cache written under other flags is rejected at the next start.
 */
import v8 from 'node:v8';

let switched = false;

/** Turns TurboFan off for the rest of this process (undone at exit). Idempotent. */
export function skipOptimizingCompiler(): void {
  if (switched) return;
  switched = true;
  // Whoever set tiering flags on Node's own command line meant them: leave them be, and leave
  // the flag hash as it was at start.
  const given = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  if (/--(no-)?(turbofan|opt|always-turbofan|max-opt)\b/.test(given)) return;
  v8.setFlagsFromString('--no-turbofan');
  // First among the exit listeners: the launcher's, which writes the code cache, was added
  // before the bundle ran.
  process.prependListener('exit', () => v8.setFlagsFromString('--turbofan'));
}
