import { hostname } from 'node:os';
import type { AppContext } from '../context.js';
import { newId } from '../crypto/secrets.js';
import { listenForJobs } from './listener.js';
import { claim, complete, extendLease, fail, nextDueInMs, onJobEnqueued, type Job } from './queue.js';
import { jobDefinition, queueNames, RetryLater } from './registry.js';
import { jobSettings, type JobSettings } from './settings.js';
import { pollBackoffMs } from './backoff.js';

export interface Runner {
  /** Stops taking jobs and waits for those in flight. */
  stop(): Promise<void>;
  /** Unique per runner: what `jobs.locked_by` holds while it works a job. */
  readonly workerId: string;
}

async function offboarded(app: AppContext, tenantId: string): Promise<boolean> {
  const row = (await app.db('tenants').where({ id: tenantId }).first('status')) as { status: string } | undefined;
  return row?.status === 'offboarded';
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 1000);


/**
 * Takes due jobs from the jobs table and runs them, at most `concurrency` at a time. It looks
 * right after this process enqueues and right after a job finishes; on PostgreSQL, also when any
 * replica's enqueue commits (LISTEN, listener.ts), and otherwise sleeps until the next retry or
 * lease falls due (at most `idlePollMs`). Without a listener it polls every `pollMs`. After a
 * failed claim it waits longer each time (pollBackoffMs) until one succeeds.
 */
export function startRunner(app: AppContext, s: JobSettings = jobSettings()): Runner {
  const workerId = `${hostname()}:${process.pid}:${newId('w', 4)}`;
  const inflight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let again = false;

  const runOne = async (job: Job) => {
    const def = jobDefinition(job.queue);
    if (!def) return; // Not ours: claim() only takes queues this process defines.
    // Renew the lease while the handler works, so a slow but live worker keeps its job.
    const heartbeat = setInterval(() => {
      extendLease(app.db, job, workerId, s.leaseMs).catch(() => {});
    }, Math.max(50, Math.floor(s.leaseMs / 3)));
    try {
      if (job.tenant_id && !def.runsAfterOffboarding && (await offboarded(app, job.tenant_id))) {
        // Nothing may act for an offboarded tenant (send its users' data, publish its grants);
        // offboarding drops its queued jobs, this catches one that was running or being retried.
        // Revoking its grants is the exception (runsAfterOffboarding).
        clearInterval(heartbeat);
        await complete(app.db, job, workerId);
        app.logger.warn({ job: job.id, queue: job.queue, tenant: job.tenant_id, attempt: job.attempts }, 'job dropped: its tenant is offboarded');
        return;
      }
      if (job.attempts > job.max_attempts) throw new Error(`job ran out of attempts (its worker stopped ${job.attempts - 1} times)`);
      await def.handle(app, job, s);
      clearInterval(heartbeat);
      await complete(app.db, job, workerId);
    } catch (err) {
      clearInterval(heartbeat);
      const message = errorText(err);
      const delay = err instanceof RetryLater ? err.delayMs : def.retryDelayMs(job.attempts, s);
      const outcome = await fail(app.db, job, workerId, message, job.attempts > job.max_attempts ? null : delay).catch((e) => {
        app.logger.error({ job: job.id, queue: job.queue, err: { message: errorText(e) } }, 'could not record a failed job');
        return 'lost' as const;
      });
      app.logger.warn({ job: job.id, queue: job.queue, attempt: job.attempts, outcome, err: { message } }, 'job failed');
      if (outcome === 'dead' && def.onDead) {
        await def.onDead(app, job, message, s).catch((e) => app.logger.error({ job: job.id, err: { message: errorText(e) } }, 'job dead handler failed'));
      }
    }
  };

  // How long to sleep after a look: with a listener, until the next job falls due, and never
  // less than pollMs (a job due now that the claim still did not take, say one whose key another
  // replica claimed in between, must not make this spin).
  let sleepMs = s.pollMs;
  // Claims failed in a row: the database is out of reach (or refusing). Each one doubles the
  // wait, up to the idle poll, so an outage costs a few attempts a minute rather than ten a
  // second, and it is logged when it starts and when it ends, not per attempt.
  let claimFailures = 0;
  const tick = async () => {
    if (!(await take())) {
      sleepMs = pollBackoffMs(claimFailures, s);
      return;
    }
    sleepMs = s.pollMs;
    if (!listener?.listening() || stopped) return;
    // At full concurrency a finishing job wakes this runner: nothing else to wait for.
    if (inflight.size >= s.concurrency) return void (sleepMs = s.idlePollMs);
    const due = await nextDueInMs(app.db, queueNames()).catch(() => 0);
    sleepMs = Math.max(s.pollMs, Math.min(s.idlePollMs, due ?? s.idlePollMs));
  };

  /** Claims what this runner has room for; false when the claim failed. */
  const take = async (): Promise<boolean> => {
    const free = s.concurrency - inflight.size;
    if (free <= 0) return true;
    let jobs: Job[] = [];
    try {
      jobs = await claim(app.db, queueNames(), workerId, s.leaseMs, free);
    } catch (err) {
      if (stopped) return true;
      claimFailures++;
      const retryInMs = pollBackoffMs(claimFailures, s);
      const fields = { err: { message: errorText(err) }, failures: claimFailures, retryInMs };
      if (claimFailures === 1) app.logger.error(fields, 'jobs: cannot claim jobs (database unreachable?); retrying with backoff');
      else app.logger.debug(fields, 'job claim failed');
      return false;
    }
    if (claimFailures) {
      app.logger.info({ failures: claimFailures }, 'jobs: claiming again (database reachable)');
      claimFailures = 0;
    }
    for (const job of jobs) {
      const p: Promise<void> = runOne(job).finally(() => {
        inflight.delete(p);
        wake();
      });
      inflight.add(p);
    }
    if (jobs.length === free) again = true;
    return true;
  };

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(wake, ms);
  };

  function wake(): void {
    if (stopped) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = tick().finally(() => {
      ticking = null;
      if (again && !stopped) {
        again = false;
        setImmediate(wake);
      } else schedule(sleepMs);
    });
  }

  // A lost LISTEN connection wakes the runner too: its next sleep is the short poll again.
  const listener = s.listen ? listenForJobs(app.db, { wake, down: wake }, app.logger, s.idlePollMs) : undefined;
  // An enqueue here (committed) starts this runner at once, and other replicas through a notification.
  const unsubscribe = onJobEnqueued(() => {
    wake();
    listener?.announce();
  });
  schedule(0);
  return {
    workerId,
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      await listener?.stop();
      await ticking;
      await Promise.allSettled([...inflight]);
    },
  };
}
