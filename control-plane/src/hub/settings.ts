import { integerEnv, positiveNumberEnv as num } from '../env-number.js';

/** How the background provisioner paces itself; from the environment so tests can run it fast. */
export interface ProvisionerSettings {
  /** The shortest sleep between two looks for due Hubs. */
  pollMs: number;
  /**
   * The longest: each replica sleeps until the next Hub falls due, and a Hub provisioned through
   * a replica wakes that replica at once, so this only bounds how long a Hub left by a replica
   * that died right after accepting it waits.
   */
  idlePollMs: number;
  /** First retry delay of a Mode C link check; doubles per attempt up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /**
   * The cap in the first earlyWindowMs of a wait. The customer usually installs the client
   * certificate while an apply is waiting for it: a long backoff then would see it only after
   * the apply gave up.
   */
  earlyMaxRetryMs: number;
  earlyWindowMs: number;
  /**
   * A client reading a provisioning Mode C Hub brings its next link check forward, but never to
   * less than this after the previous check began, however often it reads.
   */
  pollProbeMinMs: number;
  /** How long a Mode C Hub waits for the customer to trust its client certificate before it fails. */
  linkDeadlineMs: number;
  /** A claimed Hub is another replica's to take if its worker has not finished by then. */
  leaseMs: number;
  probeTimeoutMs: number;
  /**
   * How often the link of a ready Mode C Hub is checked again. Provisioning proves it once; the
   * customer's endpoint can later go away, let its server certificate expire or stop trusting
   * the client certificate, and only a later check tells (the hub health line, link_error).
   */
  linkCheckMs: number;
}

export function provisionerSettings(env: NodeJS.ProcessEnv = process.env): ProvisionerSettings {
  const pollMs = num(env, 'CLARESIA_HUB_POLL_MS', 1000);
  return {
    pollMs,
    idlePollMs: Math.max(num(env, 'CLARESIA_HUB_IDLE_POLL_MS', 30_000), pollMs),
    retryMs: num(env, 'CLARESIA_HUB_RETRY_MS', 5000),
    maxRetryMs: num(env, 'CLARESIA_HUB_MAX_RETRY_MS', 300_000),
    earlyMaxRetryMs: num(env, 'CLARESIA_HUB_EARLY_MAX_RETRY_MS', 30_000),
    earlyWindowMs: num(env, 'CLARESIA_HUB_EARLY_WINDOW_SECONDS', 3600) * 1000,
    pollProbeMinMs: num(env, 'CLARESIA_HUB_POLL_PROBE_MIN_MS', 5000),
    linkDeadlineMs: num(env, 'CLARESIA_HUB_LINK_DEADLINE_SECONDS', 86_400) * 1000,
    leaseMs: num(env, 'CLARESIA_HUB_LEASE_MS', 60_000),
    probeTimeoutMs: num(env, 'CLARESIA_HUB_PROBE_TIMEOUT_MS', 10_000),
    // Whole seconds up to a day: each check is one HTTPS request per Hub to the customer's endpoint.
    linkCheckMs: integerEnv(env, 'CLARESIA_HUB_LINK_CHECK_SECONDS', 300, 1, 86_400) * 1000,
  };
}
