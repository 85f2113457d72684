import type { ResourceDef } from '../types.js';

/** The event types a webhook can subscribe to. */
export const WEBHOOK_EVENTS = ['user.created', 'user.updated', 'user.deactivated', 'user.archetype_assigned', 'user.skill_entitlement_changed'] as const;

export const webhook: ResourceDef = {
  name: 'webhook',
  title: 'Webhook',
  description:
    'An HTTPS endpoint that receives user lifecycle events as JSON POSTs: `{id, type, created_at, data}`. Each delivery ' +
    'carries `X-Claresia-Event-Id` (the same for every retry: receivers deduplicate on it) and `X-Claresia-Signature: ' +
    't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>`; reject a timestamp older than a few ' +
    'minutes to stop replays. When `secret_overlap_seconds` is above 0, the header carries a second `v1` for that long ' +
    'after the secret changes (the first under the new secret, the second under the one it replaced): a receiver must ' +
    'then accept the delivery when any `v1` matches the secret it holds, not read only the first or the last. ' +
    'Any answer other than a 2xx, a timeout or a network error is retried with exponential backoff (capped at one ' +
    'hour) for up to 24 hours after the event, then the delivery is marked failed; 410 Gone fails the delivery at once ' +
    '(the webhook stays active). Deliveries are listed at GET /api/v1/webhooks/{id}/deliveries, and one is sent again, ' +
    'with the same event id, by POST /api/v1/webhooks/{id}/deliveries/{delivery_id}:retry (every failed one of a time ' +
    'range by POST /api/v1/webhooks/{id}/deliveries:retry, 500 a call, continued with `after`).',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/webhooks' },
    read: { method: 'GET', path: '/api/v1/webhooks/{id}' },
    update: { method: 'PATCH', path: '/api/v1/webhooks/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/webhooks/{id}' },
    list: { method: 'GET', path: '/api/v1/webhooks' },
  },
  importId: { format: '{id}', example: 'whk_3f9a1c2b7d4e6058', idPrefix: 'whk', what: "the webhook's id (whk_...), not its URL" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Webhook id.' },
    url: {
      type: 'string',
      mode: 'required',
      format: 'outbound-url',
      maxLength: 2048,
      description: 'Where events are POSTed. Must be https and resolve to a public address.',
      example: 'https://hooks.example.com/claresia',
    },
    events: {
      type: { set: 'string' },
      mode: 'required',
      enum: WEBHOOK_EVENTS,
      normalize: 'sorted_set',
      minItems: 1,
      maxItems: WEBHOOK_EVENTS.length,
      description: `The event types to deliver, at least one of: ${WEBHOOK_EVENTS.join(', ')}.`,
      example: ['user.deactivated'],
    },
    secret: {
      type: 'string',
      mode: 'required',
      writeOnly: true,
      sensitive: true,
      minLength: 16,
      maxLength: 256,
      description:
        'The HMAC-SHA256 signing key, 16 to 256 characters. Write-only: encrypted at rest and never returned. It is chosen ' +
        'by the caller rather than generated, because a generated value would have to be returned, and so kept in state. ' +
        'When it changes, deliveries are signed with the new secret from then on, and also with the replaced one for ' +
        '`secret_overlap_seconds`.',
    },
    secret_overlap_seconds: {
      type: 'integer',
      mode: 'optional_computed',
      default: 0,
      minimum: 0,
      maximum: 604800,
      description:
        'How long, in seconds (at most 604800, 7 days), a replaced secret keeps signing deliveries beside the new one after ' +
        '`secret` changes, as a second `v1` in the signature header, so receivers can move to the new secret at any time ' +
        'within that window. 0 switches at once and keeps one `v1`: the default, because receivers that read a single ' +
        '`v1` reject a two-`v1` header, and what a leaked secret calls for (send 0 with the new secret). A receiver that ' +
        'has not switched yet answers non-2xx, and those deliveries are retried for 24 hours. Lowering it while a replaced ' +
        'secret still signs ends that overlap no later than the new value from now (0: at once).',
      example: 86400,
    },
    previous_secret_expires_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      derivedFrom: ['secret', 'secret_overlap_seconds'],
      description:
        'While a replaced secret still signs deliveries beside the current one, when it stops (RFC 3339); null when only the ' +
        'current secret signs.',
    },
    status: {
      type: 'string',
      mode: 'optional_computed',
      enum: ['active', 'disabled'],
      default: 'active',
      description: 'active, or disabled: a disabled webhook gets no new deliveries (pending retries still run).',
      example: 'active',
    },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
  },
  terraformExample: `resource "claresia_webhook" "offboarding" {
  url    = "https://hooks.example.com/claresia"
  events = ["user.deactivated", "user.skill_entitlement_changed"]
  secret = var.webhook_secret
}`,
};
