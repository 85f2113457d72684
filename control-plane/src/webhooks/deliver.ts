import type { AppContext } from '../context.js';
import { TenantScope } from '../db/tenant-scope.js';
import { backoffMs, type Job } from '../jobs/queue.js';
import { defineJob, RetryLater } from '../jobs/registry.js';
import type { JobSettings } from '../jobs/settings.js';
import { guardedFetch, OutboundError } from '../net/guarded-fetch.js';
import { DELIVER_QUEUE, type DeliverPayload } from './events.js';
import { forgetExpiredSecret, signingSecrets } from './rotation.js';
import { signatureHeader } from './signature.js';

interface DeliveryContext {
  id: string;
  tenant_id: string;
  status: string;
  attempts: number;
  webhook_id: string;
  url: string;
  secret_enc: string;
  secret_key_id: string | null;
  previous_secret_enc: string | null;
  previous_secret_key_id: string | null;
  previous_secret_expires_at: Date | null;
  redelivered_at: Date | null;
  event_id: string;
  type: string;
  data: unknown;
  event_created_at: Date;
}

type Outcome = { kind: 'delivered'; status: number } | { kind: 'retry'; status: number | null; error: string } | { kind: 'failed'; status: number | null; error: string };

/** The body receivers get; the same bytes are signed. */
export function eventBody(d: Pick<DeliveryContext, 'event_id' | 'type' | 'event_created_at' | 'data'>): string {
  const data = typeof d.data === 'string' ? JSON.parse(d.data) : d.data;
  return JSON.stringify({ id: d.event_id, type: d.type, created_at: new Date(d.event_created_at).toISOString(), data });
}

async function load(app: AppContext, deliveryId: string): Promise<DeliveryContext | undefined> {
  return (await app.db('webhook_deliveries as d')
    .join('webhooks as w', 'w.id', 'd.webhook_id')
    .join('webhook_events as e', 'e.id', 'd.event_id')
    .where('d.id', deliveryId)
    .first(
      'd.id',
      'd.tenant_id',
      'd.status',
      'd.attempts',
      'd.webhook_id',
      'w.url',
      'w.secret_enc',
      'w.secret_key_id',
      'w.previous_secret_enc',
      'w.previous_secret_key_id',
      'w.previous_secret_expires_at',
      'd.redelivered_at',
      'e.id as event_id',
      'e.type',
      'e.data',
      'e.created_at as event_created_at',
    )) as DeliveryContext | undefined;
}

/**
 * Every answer but a 2xx is retried within the horizon, 4xx included: a 401 from a receiver that
 * has not yet taken a rotated secret, a WAF's 403 or a 404 from a half-finished deploy is as
 * passing as a 503, and failing at once lost the event for good. 410 Gone is the one exception:
 * the receiver says the endpoint is gone on purpose, so that delivery fails at once (the webhook
 * stays active: one 410 during a cut-over must not stop every later event; an admin disables it,
 * and redelivers what failed).
 */
const finalStatus = (status: number) => status === 410;

async function post(app: AppContext, s: JobSettings, d: DeliveryContext, secrets: readonly string[]): Promise<Outcome> {
  const body = eventBody(d);
  try {
    const res = await guardedFetch(
      d.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Claresia-Webhooks/1',
          'x-claresia-event-id': d.event_id,
          'x-claresia-event-type': d.type,
          'x-claresia-delivery-id': d.id,
          'x-claresia-signature': signatureHeader(secrets, body, Math.floor(Date.now() / 1000)),
        },
        body,
        redirect: 'manual',
      },
      { timeoutMs: s.webhookTimeoutMs, maxBytes: 64 * 1024, maxRedirects: 0, allowPrivate: app.config.allowPrivateUrls ?? false },
    );
    if (res.status >= 200 && res.status < 300) return { kind: 'delivered', status: res.status };
    if (finalStatus(res.status)) return { kind: 'failed', status: res.status, error: `HTTP ${res.status}` };
    return { kind: 'retry', status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    // A URL refused outright will be refused on every attempt, and an oversized answer will come back as large.
    if (['address_not_allowed', 'scheme_not_allowed', 'invalid_url', 'too_large'].includes(err.reason)) return { kind: 'failed', status: null, error: `url ${err.message}` };
    return { kind: 'retry', status: null, error: `url ${err.message}` };
  }
}

/**
 * One attempt at one delivery. A delivery that is no longer pending (already delivered by an
 * earlier run of this job, or its webhook deleted) is left alone, which is what makes a job run
 * twice harmless. Retries follow capped exponential backoff until the horizon after the event
 * (or after the admin's redelivery); the last one is made at the horizon itself, then the
 * delivery is failed. The webhook's URL and secrets are read for each attempt, so a retry made
 * after a rotation is signed with the new secret (and the previous one while it overlaps).
 */
async function deliver(app: AppContext, job: Job<DeliverPayload>, s: JobSettings): Promise<void> {
  const d = await load(app, job.payload.delivery_id);
  if (!d || d.status !== 'pending') return;
  const hook = { ...d, id: d.webhook_id };
  const started = Date.now();
  const scope = new TenantScope(app.db, d.tenant_id);
  const secrets = await signingSecrets(scope, app.keys, hook, started);
  await forgetExpiredSecret(scope, hook, started);
  const outcome = await post(app, s, d, secrets);
  const attempts = d.attempts + 1;
  const now = Date.now();
  const pending = { id: d.id, status: 'pending' };
  if (outcome.kind === 'delivered') {
    await app.db('webhook_deliveries').where(pending).update({ status: 'delivered', attempts, last_status_code: outcome.status, last_error: null, next_attempt_at: null, delivered_at: new Date(now) });
    return;
  }
  const from = Math.max(new Date(d.event_created_at).getTime(), d.redelivered_at ? new Date(d.redelivered_at).getTime() : 0);
  const deadline = from + s.webhookHorizonMs;
  if (outcome.kind === 'failed' || now >= deadline) {
    const after = d.redelivered_at ? 'the redelivery' : 'the event';
    const error = outcome.kind === 'failed' ? outcome.error : `${outcome.error}; gave up ${Math.round(s.webhookHorizonMs / 1000)} s after ${after}`;
    await app.db('webhook_deliveries').where(pending).update({ status: 'failed', attempts, last_status_code: outcome.status, last_error: error.slice(0, 500), next_attempt_at: null, failed_at: new Date(now) });
    return;
  }
  const next = Math.min(now + backoffMs(attempts, s.webhookRetryMs, s.webhookMaxRetryMs), deadline);
  await app.db('webhook_deliveries').where(pending).update({ attempts, last_status_code: outcome.status, last_error: outcome.error.slice(0, 500), next_attempt_at: new Date(next) });
  throw new RetryLater(outcome.error, next - now);
}

export const deliverJob = defineJob<DeliverPayload>({
  queue: DELIVER_QUEUE,
  handle: deliver,
  retryDelayMs: (attempt, s) => backoffMs(attempt, s.webhookRetryMs, s.webhookMaxRetryMs),
});
