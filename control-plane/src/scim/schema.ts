/**
 * The SCIM schemas this server supports (RFC 7643 §4 and §8.7.1), declared once: /Schemas
 * serves them, request bodies are validated against them, filters and PATCH paths resolve
 * attribute names through them (case-insensitively, as §2.1 requires).
 */

export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export type AttrKind = 'string' | 'boolean' | 'dateTime' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

export interface ScimAttr {
  name: string;
  type: AttrKind;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: ScimAttr[];
  canonicalValues?: string[];
  referenceTypes?: string[];
  /** Checked on input beyond the type: IANA time zones, language tags. */
  check?: 'timezone' | 'language' | 'languages' | 'email';
  /**
   * No cap on how many values: a group's members number in the thousands ("all-employees"),
   * bounded per request by the body size limit. Other multi-valued attributes are capped.
   */
  unbounded?: true;
}

export interface ScimSchema {
  id: string;
  name: string;
  description: string;
  attributes: ScimAttr[];
}

function attr(name: string, type: AttrKind, description: string, extra: Partial<ScimAttr> = {}): ScimAttr {
  return { name, type, multiValued: false, description, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra };
}

const str = (name: string, description: string, extra: Partial<ScimAttr> = {}) => attr(name, 'string', description, extra);

/** A multi-valued attribute of {value, display, type, primary} entries (§2.4). */
function multi(name: string, description: string, types: string[], valueExtra: Partial<ScimAttr> = {}): ScimAttr {
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      str('value', `The ${name} value.`, valueExtra),
      str('display', 'A human-readable name.'),
      str('type', 'A label for its function.', { canonicalValues: types }),
      attr('primary', 'boolean', 'The preferred value; at most one is true.'),
    ],
  });
}

export const userSchema: ScimSchema = {
  id: CORE_USER,
  name: 'User',
  description: 'User Account',
  attributes: [
    str('userName', 'Unique identifier for the user, case-insensitive, unique per directory.', { required: true, uniqueness: 'server' }),
    attr('name', 'complex', "The components of the user's name.", {
      subAttributes: [
        str('formatted', 'The full name.'),
        str('familyName', 'The family name.'),
        str('givenName', 'The given name.'),
        str('middleName', 'The middle name.'),
        str('honorificPrefix', 'e.g. Ms.'),
        str('honorificSuffix', 'e.g. III.'),
      ],
    }),
    str('displayName', 'The name shown to end users.'),
    str('nickName', 'The casual name.'),
    attr('profileUrl', 'reference', 'A URI of the online profile.', { referenceTypes: ['external'] }),
    str('title', 'The job title, e.g. "Vice President".'),
    str('userType', 'The relationship to the organisation, e.g. Employee, Contractor.'),
    str('preferredLanguage', 'Preferred written or spoken languages (Accept-Language syntax), e.g. "en-US".', { check: 'languages' }),
    str('locale', 'Default location for localisation, a language tag, e.g. "en-US".', { check: 'language' }),
    str('timezone', 'IANA time zone name, e.g. "America/Los_Angeles".', { check: 'timezone' }),
    attr('active', 'boolean', 'Whether the user may use the service; false is de-provisioned.'),
    str('password', 'Never stored or returned by this server.', { mutability: 'writeOnly', returned: 'never' }),
    multi('emails', 'Email addresses.', ['work', 'home', 'other'], { check: 'email' }),
    multi('phoneNumbers', 'Phone numbers.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    attr('addresses', 'complex', 'Physical mailing addresses.', {
      multiValued: true,
      subAttributes: [
        str('formatted', 'The full mailing address.'),
        str('streetAddress', 'Street.'),
        str('locality', 'City.'),
        str('region', 'State or region.'),
        str('postalCode', 'Postal code.'),
        str('country', 'ISO 3166-1 alpha-2 country code.'),
        str('type', 'work, home or other.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'boolean', 'The preferred address.'),
      ],
    }),
    attr('groups', 'complex', 'Groups the user belongs to; managed through /Groups.', {
      multiValued: true,
      mutability: 'readOnly',
      subAttributes: [
        str('value', 'Group id.', { mutability: 'readOnly', caseExact: true }),
        attr('$ref', 'reference', 'URI of the group.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
        str('display', 'Group displayName.', { mutability: 'readOnly' }),
        str('type', 'direct.', { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const enterpriseSchema: ScimSchema = {
  id: ENTERPRISE_USER,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    str('employeeNumber', 'Employee number.'),
    str('costCenter', 'Cost center.'),
    str('organization', 'Organisation.'),
    str('division', 'Division.'),
    str('department', 'Department.'),
    attr('manager', 'complex', "The user's manager.", {
      subAttributes: [
        str('value', 'The id of the manager in this directory.', { caseExact: true }),
        attr('$ref', 'reference', 'URI of the manager.', { referenceTypes: ['User'] }),
        str('displayName', "The manager's display name.", { mutability: 'readOnly' }),
      ],
    }),
  ],
};

export const groupSchema: ScimSchema = {
  id: CORE_GROUP,
  name: 'Group',
  description: 'Group; groups named claresia-* map to Claresia roles.',
  attributes: [
    str('displayName', 'A human-readable name, unique per directory (case-insensitive).', { required: true, uniqueness: 'server' }),
    attr('members', 'complex', 'Users in the group.', {
      multiValued: true,
      unbounded: true,
      subAttributes: [
        str('value', 'The id of a user of this directory.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', 'URI of the user.', { mutability: 'immutable', referenceTypes: ['User'] }),
        str('display', "The user's displayName.", { mutability: 'readOnly' }),
        str('type', 'User.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
};

/** Attributes every resource has (§3.1): not in the schemas' attribute lists. */
export const commonAttributes: ScimAttr[] = [
  str('id', 'Identifier assigned by this server.', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  str('externalId', "The IdP's identifier.", { caseExact: true }),
  attr('meta', 'complex', 'Resource metadata.', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'User or Group.', { mutability: 'readOnly', caseExact: true }),
      attr('created', 'dateTime', 'Creation time.', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'Last change.', { mutability: 'readOnly' }),
      attr('location', 'reference', 'URI of the resource.', { mutability: 'readOnly' }),
      str('version', 'Weak ETag of the resource.', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

export type ResourceKind = 'User' | 'Group';

export interface ResourceTypeDef {
  kind: ResourceKind;
  endpoint: string;
  core: ScimSchema;
  extensions: ScimSchema[];
  /**
   * Core attributes of RFC 7643 this server does not keep. POST and PUT drop them as they drop
   * any attribute they do not know; a PATCH naming one is accepted and dropped the same way
   * (Entra ID sends `roles` when app roles are mapped), where an unknown name is an error.
   */
  notKept: string[];
}

export const USER_TYPE: ResourceTypeDef = {
  kind: 'User',
  endpoint: '/Users',
  core: userSchema,
  extensions: [enterpriseSchema],
  notKept: ['ims', 'photos', 'entitlements', 'roles', 'x509Certificates'],
};
export const GROUP_TYPE: ResourceTypeDef = { kind: 'Group', endpoint: '/Groups', core: groupSchema, extensions: [], notKept: [] };
export const ALL_SCHEMAS: ScimSchema[] = [userSchema, enterpriseSchema, groupSchema];

/** Where an attribute lives: the schema whose attribute it is, and its definition. */
export interface ResolvedAttr {
  /** undefined for core and common attributes (stored at the top level of the document). */
  extension?: string;
  attr: ScimAttr;
  sub?: ScimAttr;
}

const lc = (s: string) => s.toLowerCase();

export function findAttr(list: readonly ScimAttr[], name: string): ScimAttr | undefined {
  const n = lc(name);
  return list.find((a) => lc(a.name) === n);
}

export function extensionOf(type: ResourceTypeDef, urn: string): ScimSchema | undefined {
  return type.extensions.find((s) => lc(s.id) === lc(urn));
}

/**
 * Resolves `attr`, `attr.sub` or `urn:...:attr.sub` (names case-insensitive). Unqualified
 * names fall back to the extensions, as IdPs write `department` for the enterprise one.
 * Returns undefined when nothing of that name exists.
 */
export function resolveAttr(type: ResourceTypeDef, schema: string | undefined, name: string, sub?: string): ResolvedAttr | undefined {
  let found: { extension?: string; attr: ScimAttr } | undefined;
  if (schema && lc(schema) !== lc(type.core.id)) {
    const ext = extensionOf(type, schema);
    const a = ext && findAttr(ext.attributes, name);
    if (a) found = { extension: ext!.id, attr: a };
  } else {
    const a = findAttr(type.core.attributes, name) ?? findAttr(commonAttributes, name);
    if (a) found = { attr: a };
    else if (!schema) {
      for (const ext of type.extensions) {
        const e = findAttr(ext.attributes, name);
        if (e) {
          found = { extension: ext.id, attr: e };
          break;
        }
      }
    }
  }
  if (!found) return undefined;
  if (sub === undefined) return found;
  const s = found.attr.subAttributes && findAttr(found.attr.subAttributes, sub);
  return s ? { ...found, sub: s } : undefined;
}
