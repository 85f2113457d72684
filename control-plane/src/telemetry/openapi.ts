import type { JsonSchema } from '@claresia/catalog';

/** The response bodies of the telemetry routes, for the OpenAPI document. */

/** POST /api/v1/telemetry/events (telemetry/ingest.ts IngestResult). */
export const ingestResultSchema: JsonSchema = {
  type: 'object',
  required: ['recorded', 'duplicate', 'tenant_live'],
  properties: {
    recorded: { type: 'boolean', description: 'false when the invocation_id was already recorded' },
    duplicate: { type: 'boolean' },
    tenant_live: { type: 'boolean', description: 'This invocation completed the smoke test and made the tenant live' },
  },
};

/** GET /api/v1/telemetry/events. */
export const eventPageSchema: JsonSchema = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['connector_id', 'invocation_id', 'skill_id', 'occurred_at', 'received_at'],
        properties: {
          connector_id: { type: 'string' },
          invocation_id: { type: 'string' },
          skill_id: { type: 'string' },
          user_email: { type: ['string', 'null'] },
          occurred_at: { type: 'string', format: 'date-time' },
          received_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};
