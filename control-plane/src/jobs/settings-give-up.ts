const HOUR_MS = 3_600_000;
const NAME = 'CLARESIA_PUBLISH_RECOVERY_GIVE_UP_HOURS';
const DEFAULT_HOURS = 72;

/**
 * How long a connector may go without a successful publish before the slow retry stops trying
 * it (72 h by default): a base_url that is gone for good would otherwise be called every
 * CLARESIA_PUBLISH_RECOVERY_MS forever, with nobody told that it never will work. `0` keeps
 * trying for good. An end shorter than one slow period would end every slow retry at its first
 * attempt, which is no retry at all, so it is refused; fractions of an hour are allowed. The
 * default is held to that too: a recovery period raised past 72 h would otherwise turn every
 * slow retry into one attempt without anyone having set a give-up at all.
 *
 * Read with the rest of JobSettings (jobSettings), which passes the recovery period it checked.
 */
export function publishGiveUpMsOf(env: NodeJS.ProcessEnv, publishRecoveryMs: number): number {
  const raw = env[NAME];
  const unset = raw === undefined || raw === '';
  const hours = unset ? DEFAULT_HOURS : /^\d{1,7}(\.\d{1,9})?$/.test(raw) ? Number(raw) : NaN;
  if (hours === 0) return Infinity;
  if (!Number.isFinite(hours)) throw new Error(`${NAME} must be a number of hours, 0 to never give up, got "${raw!.slice(0, 40)}"`);
  const ms = Math.round(hours * HOUR_MS);
  if (ms < publishRecoveryMs) {
    // The smallest whole number of hours that passes, so the advice can be pasted as it is.
    const fix = `set ${NAME} to at least ${Math.ceil(publishRecoveryMs / HOUR_MS)}, or 0 to never give up`;
    throw new Error(
      unset
        ? `CLARESIA_PUBLISH_RECOVERY_MS (${publishRecoveryMs} ms, ${describePeriod(publishRecoveryMs)}) is longer than ${NAME}'s default of ${DEFAULT_HOURS} h, which would end every slow retry at its first attempt: ${fix}, or lower CLARESIA_PUBLISH_RECOVERY_MS`
        : `${NAME} (${raw} h) must be at least CLARESIA_PUBLISH_RECOVERY_MS (${publishRecoveryMs} ms, ${describePeriod(publishRecoveryMs)}): ${fix}`,
    );
  }
  return ms;
}

/** A period as a person reads it in a reason: "72 h", "90 min", "45 s". */
export function describePeriod(ms: number): string {
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  if (ms >= HOUR_MS) return `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}
