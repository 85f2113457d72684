import type { JsonSchema } from '@claresia/catalog';

/** The response bodies of the governance-event routes, for the OpenAPI document. */

const signedHead: JsonSchema = {
  type: 'object',
  description:
    "The chain head signed with the audit key: at signed_at, the tenant's chain ended at event seq, whose hash is hash. " +
    'The signature is Ed25519 over the UTF-8 bytes of the JSON object {context, hash, seq, signed_at, tenant_id} with ' +
    'context "claresia.audit_head.v1", keys sorted, no spaces. Keep it: a later chain that does not hold this event is truncated.',
  required: ['tenant_id', 'seq', 'hash', 'signed_at', 'key_id', 'signature'],
  properties: {
    tenant_id: { type: 'string' },
    seq: { type: 'integer' },
    hash: { type: 'string' },
    signed_at: { type: 'string', format: 'date-time' },
    key_id: { type: 'string' },
    signature: { type: 'string', description: 'base64' },
  },
};

export const eventSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    seq: { type: 'integer' },
    format: { type: 'integer', description: 'What the hash covers: 1 (events written before migration 0520: tenant_id, seq, type, actor, subject, data, occurred_at) or 2 (also format, key_id and hub_key_id)' },
    type: { type: 'string' },
    actor: { type: 'string' },
    subject: { type: ['string', 'null'] },
    data: { type: 'object', additionalProperties: true, description: "The event type's own facts (ids, counts, before and after values); never a secret" },
    occurred_at: { type: 'string', format: 'date-time' },
    hash: { type: 'string' },
    prev_hash: { type: 'string' },
    signature: { type: 'string' },
    key_id: { type: 'string' },
    hub_signature: { type: ['string', 'null'] },
    hub_key_id: { type: ['string', 'null'] },
  },
};

export const eventListSchema: JsonSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: eventSchema }, next_cursor: { type: ['string', 'null'] } },
};

export const verifySchema: JsonSchema = {
  type: 'object',
  required: ['tenant_id', 'ok', 'events_checked', 'head_seq', 'legacy_gaps'],
  properties: {
    tenant_id: { type: 'string' },
    ok: { type: 'boolean' },
    events_checked: { type: 'integer' },
    head_seq: { type: 'integer' },
    head_hash: { type: 'string', description: 'When ok' },
    checkpoint: { ...signedHead, description: `When ok. ${signedHead.description as string}` },
    legacy_gaps: {
      type: 'array',
      items: { type: 'integer' },
      description:
        'The seq of each format-1 event (written before migration 0520) that should carry a Hub co-signature and does not. ' +
        'The release before 0520 could write such an event when it was appended while the Hub was being provisioned; format 1 ' +
        'does not hash the key ids, so it cannot be told from a co-signature stripped later. Reported, not a break: ok stays true. ' +
        'A format-2 event without its co-signature is a break.',
    },
    first_broken: {
      type: 'object',
      description: 'When not ok: the first event that does not check out (id null when it is missing), and why',
      properties: { seq: { type: 'integer' }, id: { type: ['integer', 'null'] }, reason: { type: 'string' } },
    },
  },
};

export const keysSchema: JsonSchema = {
  type: 'object',
  properties: {
    tenant_id: { type: 'string' },
    keys: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key_id: { type: 'string' },
          use: { type: 'string', enum: ['audit', 'hub'], description: "audit: signs every event and the chain head; hub: the tenant's Hub co-signature" },
          algorithm: { type: 'string', enum: ['Ed25519'] },
          public_key_pem: { type: 'string', description: 'SubjectPublicKeyInfo, PEM' },
          jwk: {
            type: 'object',
            description: 'RFC 8037 OKP key; kid is key_id',
            required: ['kty', 'crv', 'x', 'kid'],
            properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, x: { type: 'string', description: 'base64url' }, kid: { type: 'string' }, alg: { const: 'EdDSA' }, use: { const: 'sig' } },
          },
          created_at: { type: 'string', format: 'date-time' },
          retired_at: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
};
