import type { JsonSchema } from '@claresia/catalog';
import { ARCHETYPES } from './archetypes.js';

/** The response bodies of the roster routes, for the OpenAPI document. */

const count = (description?: string): JsonSchema => ({ type: 'integer', minimum: 0, ...(description ? { description } : {}) });
const text: JsonSchema = { type: ['string', 'null'] };
const archetype = (description: string): JsonSchema => ({ enum: [...ARCHETYPES, null], description });
const confidence: JsonSchema = { type: 'number', description: "The classifier's confidence in its archetype, 0 to 1" };

/** One roster member (roster/members.ts presentMember). */
export const memberSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'email', 'source', 'archetype', 'active', 'updated_at'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    first_name: text,
    last_name: text,
    title: text,
    department: text,
    manager_email: text,
    source: { enum: ['csv', 'scim'], description: 'What last wrote the member: a CSV import or a SCIM sync' },
    archetype: archetype('The archetype in force: the override if any, else the classified one; null when unmatched'),
    classified_archetype: archetype("The classifier's archetype, null below its threshold"),
    confidence,
    override_archetype: archetype('Set by PUT .../archetype; kept across imports and syncs'),
    active: { type: 'boolean' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

/** GET /api/v1/roster: a page of members and the totals over the whole active roster. */
export const rosterPageSchema: JsonSchema = {
  type: 'object',
  required: ['items', 'next_cursor', 'summary'],
  properties: {
    items: { type: 'array', items: memberSchema },
    next_cursor: { type: ['string', 'null'] },
    summary: {
      type: 'object',
      required: ['users', 'matched', 'unmatched', 'overrides', 'by_archetype', 'last_import'],
      properties: {
        users: count('Active members'),
        matched: count(),
        unmatched: count(),
        overrides: count(),
        by_archetype: { type: 'object', description: 'Active members by archetype', additionalProperties: count() },
        last_import: {
          type: ['object', 'null'],
          required: ['id', 'source', 'rows', 'finished_at'],
          properties: { id: { type: 'string' }, source: { type: 'string' }, rows: count(), finished_at: { type: 'string', format: 'date-time' } },
        },
      },
    },
  },
};

const unmatchedRow: JsonSchema = {
  type: 'object',
  required: ['line', 'email', 'candidate', 'confidence'],
  properties: { line: count(), email: { type: 'string' }, title: text, department: text, candidate: { ...archetype('The best guess, below the threshold') }, confidence },
};

const listedMember: JsonSchema = { type: 'object', required: ['id', 'email'], properties: { id: { type: 'string' }, email: { type: 'string' } } };

/** POST /api/v1/roster/csv: what the import wrote (roster/csv-import.ts ImportReport). */
export const csvImportSchema: JsonSchema = {
  type: 'object',
  required: ['import_id', 'rows', 'created', 'updated', 'unchanged', 'matched', 'unmatched', 'unmatched_rows', 'mode', 'deactivated', 'kept_off'],
  properties: {
    import_id: { type: 'string' },
    rows: count(),
    created: count(),
    updated: count(),
    unchanged: count(),
    matched: count(),
    unmatched: count(),
    unmatched_rows: { type: 'array', items: unmatchedRow, description: 'The first unmatched rows (the count is complete)' },
    access_changed: count('Existing members the import turned active or inactive, or tied to a SCIM user'),
    deprovisioned: count('Rows naming a person SCIM de-provisioned: kept inactive'),
    deprovisioned_rows: { type: 'array', items: { type: 'object', required: ['line', 'email'], properties: { line: count(), email: { type: 'string' } } } },
    mode: { enum: ['merge', 'replace'] },
    deactivated: count('mode=replace: active CSV members the file no longer lists, now inactive'),
    deactivated_members: { type: 'array', items: listedMember, description: 'The first 500 (the count is complete)' },
    kept_off: count(
      'mode=replace: CSV members already inactive (SCIM had taken the person away) that the file no longer lists. They are now the file’s to give back, like those it deactivates: one at a person’s login stays off when SCIM brings the person back (a re-activation, or a rehire and a sync), until a file lists it again. Not counted against max_removals: nobody loses access now',
    ),
    kept_off_members: { type: 'array', items: listedMember, description: 'The first 500 (the count is complete)' },
  },
};

const ids: JsonSchema = { type: 'array', items: { type: 'string' }, description: 'At most 1000 (the count is complete)' };

/** POST /api/v1/roster/scim:sync: what the IdPs wrote since the last sync (scim/sync-report.ts), and the roster's part. */
export const scimSyncSchema: JsonSchema = {
  type: 'object',
  required: ['sync_id', 'previous_sync_at', 'completed_at', 'changes', 'users', 'groups', 'errors'],
  properties: {
    sync_id: { type: 'string' },
    previous_sync_at: { type: ['string', 'null'], format: 'date-time' },
    completed_at: { type: 'string', format: 'date-time' },
    changes: count(),
    users: {
      type: 'object',
      required: ['created', 'updated', 'deprovisioned', 'reactivated'],
      properties: {
        created: count(),
        updated: count(),
        deprovisioned: count(),
        reactivated: count(),
        created_ids: ids,
        updated_ids: ids,
        deprovisioned_ids: ids,
        reactivated_ids: ids,
      },
    },
    groups: { type: 'object', required: ['created', 'updated', 'deleted'], properties: { created: count(), updated: count(), deleted: count(), ids } },
    errors: {
      type: 'object',
      required: ['total', 'items'],
      properties: {
        total: count(),
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['at', 'directory_id', 'kind', 'method', 'path', 'status'],
            properties: {
              at: { type: 'string', format: 'date-time' },
              directory_id: { type: 'string' },
              kind: { type: 'string' },
              subject_id: { type: ['string', 'null'] },
              method: { type: 'string' },
              path: { type: 'string' },
              status: { type: 'integer' },
              body: { description: 'What the endpoint answered the IdP (a SCIM error)' },
            },
          },
        },
      },
    },
    roster: {
      type: 'object',
      description: "The SCIM users brought into the roster, classified by archetype (roster/scim-sync.ts)",
      required: ['members', 'created', 'updated', 'unchanged', 'matched', 'unmatched', 'deactivated'],
      properties: {
        members: count(),
        created: count(),
        updated: count(),
        unchanged: count(),
        matched: count(),
        unmatched: count(),
        deactivated: count(),
        moved: count('Members that followed their SCIM user to a new address'),
        skipped_without_email: count(),
        unmatched_users: {
          type: 'array',
          items: {
            type: 'object',
            required: ['scim_user_id', 'email', 'candidate', 'confidence'],
            properties: { scim_user_id: { type: 'string' }, email: { type: 'string' }, title: text, candidate: archetype('The best guess, below the threshold'), confidence },
          },
        },
      },
    },
  },
};
