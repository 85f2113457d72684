import { GROUP_TYPE, USER_TYPE, type ResolvedAttr } from '../schema.js';
import { jsonArrayTarget, type FilterTable, type MultiTarget, type ScalarTarget, type Target } from './sql.js';

/** Where each filterable attribute of a User or Group is stored. */

const s = (expr: string, caseExact = false): ScalarTarget => ({ kind: 'scalar', expr, type: 'string', caseExact });
const EMAIL_LIKE = { value: 'string', display: 'string', type: 'string', primary: 'boolean' } as const;

const userColumns: Record<string, Target> = {
  id: s('scim_users.id', true),
  externalId: s('scim_users.external_id', true),
  userName: { kind: 'scalar', expr: 'scim_users.user_name_lower', type: 'string', caseExact: false, lowered: true },
  displayName: s('scim_users.display_name'),
  title: s('scim_users.title'),
  'name.givenName': s('scim_users.given_name'),
  'name.familyName': s('scim_users.family_name'),
  active: { kind: 'scalar', expr: 'scim_users.active', type: 'boolean', caseExact: true },
  preferredLanguage: s('scim_users.preferred_language'),
  timezone: s('scim_users.timezone'),
  'ext.department': s('scim_users.department'),
  'ext.employeeNumber': s('scim_users.employee_number'),
  'ext.costCenter': s('scim_users.cost_center'),
  'ext.manager.value': s('scim_users.manager_id', true),
  'meta.created': { kind: 'scalar', expr: 'scim_users.created_at', type: 'dateTime', caseExact: true },
  'meta.lastModified': { kind: 'scalar', expr: 'scim_users.updated_at', type: 'dateTime', caseExact: true },
  // scim_email_values: migration 0500's function, which a GIN index over live users covers.
  emails: jsonArrayTarget('scim_users.emails', EMAIL_LIKE, [], 'scim_email_values(scim_users.emails)'),
  phoneNumbers: jsonArrayTarget(`(scim_users.resource->'phoneNumbers')`, EMAIL_LIKE),
  addresses: jsonArrayTarget(`(scim_users.resource->'addresses')`, {
    formatted: 'string',
    streetAddress: 'string',
    locality: 'string',
    region: 'string',
    postalCode: 'string',
    country: 'string',
    type: 'string',
    primary: 'boolean',
  }),
};

const userGroups: MultiTarget = {
  kind: 'multi',
  defaultSub: 'value',
  sub: (name) => (name.toLowerCase() === 'value' ? s('m.group_id', true) : name.toLowerCase() === 'display' ? s('g.display_name') : undefined),
  exists: (inner) => ({
    sql: `EXISTS (SELECT 1 FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id WHERE m.user_id = scim_users.id AND ${inner.sql})`,
    bindings: inner.bindings,
  }),
};

const keyOf = (r: ResolvedAttr) => `${r.extension ? 'ext.' : ''}${r.attr.name}${r.sub ? '.' + r.sub.name : ''}`;

/** Attributes without a column of their own are read from the stored document. */
function fromDocument(column: string, r: ResolvedAttr): Target | undefined {
  const leaf = r.sub ?? r.attr;
  if (leaf.type === 'complex' || r.attr.multiValued || leaf.mutability === 'readOnly') return undefined;
  // Names come from our schema declarations, never from the request.
  let expr = `${column}`;
  if (r.extension) expr += `->'${r.extension}'`;
  expr += r.sub ? `->'${r.attr.name}'->>'${r.sub.name}'` : `->>'${r.attr.name}'`;
  if (leaf.type === 'boolean') return { kind: 'scalar', expr: `((${expr})::boolean)`, type: 'boolean', caseExact: true };
  return s(`(${expr})`, leaf.caseExact);
}

export const USER_FILTERS: FilterTable = {
  type: USER_TYPE,
  target(r) {
    if (r.attr.name === 'groups' && !r.extension) return userGroups;
    return userColumns[keyOf(r)] ?? fromDocument('scim_users.resource', r);
  },
};

const groupMembers: MultiTarget = {
  kind: 'multi',
  defaultSub: 'value',
  sub: (name) => (name.toLowerCase() === 'value' ? s('m.user_id', true) : name.toLowerCase() === 'display' ? s('u.display_name') : undefined),
  exists: (inner) => ({
    sql: `EXISTS (SELECT 1 FROM scim_group_members m JOIN scim_users u ON u.id = m.user_id WHERE m.group_id = scim_groups.id AND ${inner.sql})`,
    bindings: inner.bindings,
  }),
};

const groupColumns: Record<string, Target> = {
  id: s('scim_groups.id', true),
  externalId: s('scim_groups.external_id', true),
  displayName: { kind: 'scalar', expr: 'scim_groups.display_name_lower', type: 'string', caseExact: false, lowered: true },
  'meta.created': { kind: 'scalar', expr: 'scim_groups.created_at', type: 'dateTime', caseExact: true },
  'meta.lastModified': { kind: 'scalar', expr: 'scim_groups.updated_at', type: 'dateTime', caseExact: true },
  members: groupMembers,
};

export const GROUP_FILTERS: FilterTable = {
  type: GROUP_TYPE,
  target: (r) => groupColumns[keyOf(r)],
};
