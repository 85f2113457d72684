import type { AppContext } from '../context.js';
import { appendEvent } from '../audit/chain.js';
import { integerEnv } from '../env-number.js';
import { ApiError } from '../http/errors.js';
import { countThisMinute } from './rate-counters.js';

declare module '../config.js' {
  interface Config {
    /** Failed sign-ins written to the audit chain per connection or client_id per minute; CLARESIA_LOGIN_FAILURES_AUDITED_PER_MINUTE otherwise. */
    loginFailuresAuditedPerMinute?: number;
  }
}

const DEFAULT_AUDITED_PER_MINUTE = 20;

export interface LoginAttempt {
  method: 'saml' | 'oidc' | 'client_credentials';
  /** The tenant the attempt was aimed at, when it is known: its audit chain gets the event. */
  tenantId?: string;
  connectionId?: string;
  clientId?: string;
  ip: string | undefined;
}

function auditedPerMinute(app: AppContext): number {
  return app.config.loginFailuresAuditedPerMinute ?? integerEnv(process.env, 'CLARESIA_LOGIN_FAILURES_AUDITED_PER_MINUTE', DEFAULT_AUDITED_PER_MINUTE, 1);
}

/**
 * Makes a refused sign-in visible: the request's own transaction rolls back with its error, so
 * the failure is written in a short transaction of its own as `auth.login_failed`, and logged at
 * warn. Only what identifies the attempt is kept (the code, the connection or client_id, the
 * caller's address), never the assertion, the code or the secret it carried. Anyone can fail a
 * sign-in, so each connection / client_id puts at most a few failures a minute in the chain; the
 * last one says so, and the log line still names every one. Recording never replaces the
 * caller's answer: a failure to record is logged and the original error goes out.
 */
export async function recordLoginFailure(app: AppContext, attempt: LoginAttempt, err: unknown): Promise<void> {
  // Only refusals of the caller's input are failed sign-ins; server faults are logged as such elsewhere.
  if (!(err instanceof ApiError) || err.status >= 500) return;
  const fields = {
    method: attempt.method,
    code: err.code,
    field: err.field ?? null,
    status: err.status,
    ...(attempt.connectionId ? { connection_id: attempt.connectionId } : {}),
    ...(attempt.clientId ? { client_id: attempt.clientId } : {}),
    client_ip: attempt.ip ?? null,
  };
  let audited = false;
  try {
    if (attempt.tenantId) audited = await audit(app, attempt.tenantId, fields);
  } catch (e) {
    app.logger.error({ err: { message: (e as Error).message }, ...fields }, 'auth.login_failed could not be recorded');
  }
  app.logger.warn({ event: 'auth.login_failed', tenant_id: attempt.tenantId ?? null, audited, ...fields }, 'sign-in failed');
}

async function audit(app: AppContext, tenantId: string, fields: Record<string, unknown>): Promise<boolean> {
  const cap = auditedPerMinute(app);
  const subject = String(fields.connection_id ?? fields.client_id);
  return app.db.transaction(async (trx) => {
    // An offboarded tenant's chain is closed; its sign-ins are refused before anything is read.
    const tenant = (await trx('tenants').where({ id: tenantId }).first('status')) as { status: string } | undefined;
    if (!tenant || tenant.status === 'offboarded') return false;
    const n = await countThisMinute(trx, tenantId, `login_failed:${subject}`);
    if (n > cap) return false;
    await appendEvent(trx, app.keys, tenantId, {
      type: 'auth.login_failed',
      actor: 'anonymous',
      subject,
      data: { ...fields, ...(n === cap ? { cap_reached: `further failures for ${subject} this minute are logged, not audited` } : {}) },
    });
    return true;
  });
}
