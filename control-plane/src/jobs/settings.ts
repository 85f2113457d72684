import { integerEnv, positiveNumberEnv as num } from '../env-number.js';
import { publishGiveUpMsOf } from './settings-give-up.js';

/** How the job runner and its handlers pace themselves; from the environment so tests can run them fast. */
export interface JobSettings {
  /**
   * How often each replica looks for due jobs when it cannot listen for them (PGlite, or its
   * LISTEN connection is down); a job enqueued by the same replica starts at once either way.
   */
  pollMs: number;
  /**
   * While listening, the longest a replica sleeps between looks: notifications wake it for new
   * jobs and it wakes itself when a retry or a lease falls due, so this only bounds a miss.
   */
  idlePollMs: number;
  /** Whether to LISTEN at all: not through a pooler in transaction mode, which gives LISTEN no session of its own. */
  listen: boolean;
  /** A taken job is another worker's to take again if not finished or renewed by then. */
  leaseMs: number;
  /** Jobs one replica runs at a time. */
  concurrency: number;
  publishRetryMs: number;
  publishMaxRetryMs: number;
  publishMaxAttempts: number;
  /**
   * Once a publish ran out of attempts, how long between the slow retries that follow (one
   * attempt each) while a connector is still connected: the platforms get the set once they are
   * back, without anyone calling :test or changing an entitlement.
   */
  publishRecoveryMs: number;
  /**
   * How long a connector may go without a successful publish before the slow retry gives it up
   * (CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS; Infinity never gives up). See settings-give-up.ts.
   */
  publishGiveUpMs: number;
  /** Time allowed for one platform's publish call. */
  publishTimeoutMs: number;
  webhookRetryMs: number;
  webhookMaxRetryMs: number;
  /** A delivery not made by this long after its event is marked failed (24 h by default). */
  webhookHorizonMs: number;
  webhookTimeoutMs: number;
  /** Finished webhook deliveries, their events and dead jobs are deleted once this old (30 days by default). */
  retentionMs: number;
  /** How often each replica sweeps them. */
  retentionSweepMs: number;
}

export function jobSettings(env: NodeJS.ProcessEnv = process.env): JobSettings {
  // Below a millisecond a poll is a busy loop; an idle poll shorter than the poll would cap the
  // outage backoff at the poll (jobs/backoff.ts).
  const pollMs = integerEnv(env, 'CLARESIA_JOBS_POLL_MS', 100, 1);
  const idlePollMs = integerEnv(env, 'CLARESIA_JOBS_IDLE_POLL_MS', 5000, 1);
  if (idlePollMs < pollMs) throw new Error(`CLARESIA_JOBS_IDLE_POLL_MS (${idlePollMs}) must be at least CLARESIA_JOBS_POLL_MS (${pollMs})`);
  const publishMaxRetryMs = num(env, 'CLARESIA_PUBLISH_MAX_RETRY_MS', 300_000);
  // The slow schedule comes after the backoff gave up; faster than the backoff's cap, it would
  // hammer a platform that is down harder than the backoff itself did. Unset, it follows a cap
  // raised past 30 min, so a deployment that raised it still starts.
  const publishRecoveryMs = integerEnv(env, 'CLARESIA_PUBLISH_RECOVERY_MS', Math.max(1_800_000, Math.ceil(publishMaxRetryMs)), 1);
  if (publishRecoveryMs < publishMaxRetryMs) {
    throw new Error(`CLARESIA_PUBLISH_RECOVERY_MS (${publishRecoveryMs}) must be at least CLARESIA_PUBLISH_MAX_RETRY_MS (${publishMaxRetryMs})`);
  }
  return {
    pollMs,
    idlePollMs,
    listen: listenSetting(env.CLARESIA_JOBS_LISTEN),
    leaseMs: num(env, 'CLARESIA_JOBS_LEASE_MS', 30_000),
    // A fraction used to round down to 0: a replica that never runs a job.
    concurrency: integerEnv(env, 'CLARESIA_JOBS_CONCURRENCY', 8, 1),
    publishRetryMs: num(env, 'CLARESIA_PUBLISH_RETRY_MS', 1000),
    publishMaxRetryMs,
    publishMaxAttempts: integerEnv(env, 'CLARESIA_PUBLISH_MAX_ATTEMPTS', 25, 1),
    publishRecoveryMs,
    publishGiveUpMs: publishGiveUpMsOf(env, publishRecoveryMs),
    publishTimeoutMs: num(env, 'CLARESIA_PUBLISH_TIMEOUT_MS', 10_000),
    webhookRetryMs: num(env, 'CLARESIA_WEBHOOK_RETRY_MS', 1000),
    webhookMaxRetryMs: num(env, 'CLARESIA_WEBHOOK_MAX_RETRY_MS', 3_600_000),
    webhookHorizonMs: num(env, 'CLARESIA_WEBHOOK_RETRY_HORIZON_SECONDS', 86_400) * 1000,
    webhookTimeoutMs: num(env, 'CLARESIA_WEBHOOK_TIMEOUT_MS', 10_000),
    retentionMs: num(env, 'CLARESIA_RETENTION_DAYS', 30) * 86_400_000,
    retentionSweepMs: num(env, 'CLARESIA_RETENTION_SWEEP_SECONDS', 3600) * 1000,
  };
}

function listenSetting(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new Error(`CLARESIA_JOBS_LISTEN must be 0 or 1, got "${raw.slice(0, 20)}"`);
}
