import type { Attribute, ResourceDef } from '../types.js';

const count = (description: string): Attribute => ({ type: 'integer', mode: 'computed', description });

export const rosterSync: ResourceDef = {
  name: 'roster_sync',
  title: 'RosterSync',
  description:
    "A roster sync from the tenant's SCIM directories (runbook step 8): creating it runs `POST /api/v1/roster/scim:sync`, which " +
    'brings every SCIM user into the roster classified by archetype and reports what the IdPs wrote since the previous sync. ' +
    'The sync runs once; change `triggers` to run another (the resource is replaced). Destroying it forgets the record and leaves ' +
    'the roster as it is.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/roster/syncs' },
    read: { method: 'GET', path: '/api/v1/roster/syncs/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/roster/syncs/{id}' },
    list: { method: 'GET', path: '/api/v1/roster/syncs' },
  },
  importId: { format: '{id}', example: 'ssync_4f1c2b7a9e0d3c5b', idPrefix: 'ssync', what: "the roster sync's id (ssync_...)" },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'The sync id (`ssync_...`).' },
    triggers: {
      type: { map: 'string' },
      mode: 'optional',
      forceNew: true,
      maxItems: 50,
      maxLength: 500,
      description: 'Arbitrary values; a change runs a new sync. Keys and values are kept as given (at most 50 entries, 500 characters each).',
      example: { directory_token_rotated_at: '2026-11-30T09:00:00Z' },
    },
    completed_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When the sync ran (RFC 3339).' },
    previous_sync_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When the sync before it ran, or null for the first one.' },
    users_created: count('Users the IdPs created since the previous sync.'),
    users_updated: count('Users the IdPs updated since the previous sync.'),
    users_deprovisioned: count('Users de-provisioned (active=false or DELETE) since the previous sync.'),
    users_reactivated: count('Users reactivated since the previous sync.'),
    groups_changed: count('Groups created, updated or deleted since the previous sync.'),
    errors: count('SCIM requests of the IdPs that failed since the previous sync; the API report lists them with status and body.'),
    roster_members: count('SCIM users brought into the roster by this sync.'),
    roster_unmatched: count('Of those, active members the classifier could not map to an archetype (fix with an override).'),
  },
  terraformExample: `resource "claresia_roster_sync" "initial" {
  # Run once the directory exists; bump the trigger to sync again.
  triggers = {
    directory = claresia_scim_directory.okta.id
  }
}`,
};
