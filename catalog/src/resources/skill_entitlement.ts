import type { ResourceDef } from '../types.js';

/** The archetypes cc-061 maps people to; skill entitlements are granted per archetype. */
export const ARCHETYPES = ['eng', 'data', 'product', 'design', 'sales', 'marketing', 'support', 'finance', 'legal', 'hr', 'ops', 'exec'] as const;

/** Skill ids look like `claresia.<suite>.<skill>`. */
export const SKILL_ID_PATTERN = '^claresia\\.[a-z0-9-]+\\.[a-z0-9-]+$';

export const skillEntitlement: ResourceDef = {
  name: 'skill_entitlement',
  title: 'SkillEntitlement',
  description:
    'The set of skills one archetype is entitled to. Applying a Cowork pack fills these in; a set managed here ' +
    'replaces the pack default for that archetype and is kept when packs are applied again; deleting it hands the archetype back ' +
    'to the applied packs. Skills a pack blocks by policy are refused. An archetype whose set comes from the packs (source not ' +
    '"manual", for instance after the set was deleted outside Terraform) has no managed set: plan shows a create, and there is nothing to import.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'archetype',
  api: {
    create: { method: 'POST', path: '/api/v1/skill-entitlement/archetypes' },
    read: { method: 'GET', path: '/api/v1/skill-entitlement/archetypes/{id}' },
    update: { method: 'PUT', path: '/api/v1/skill-entitlement/archetypes/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/skill-entitlement/archetypes/{id}' },
    list: { method: 'GET', path: '/api/v1/skill-entitlement/archetypes' },
  },
  importId: { format: '{archetype}', example: 'sales', what: 'the archetype (eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec)' },
  // The API answers for every archetype; one whose set comes from the packs has no managed set.
  managedWhen: { attribute: 'source', equals: 'manual' },
  attributes: {
    archetype: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: ARCHETYPES,
      description: 'The archetype: eng, data, product, design, sales, marketing, support, finance, legal, hr, ops or exec.',
      example: 'sales',
    },
    skills: {
      type: { set: 'string' },
      mode: 'required',
      normalize: 'sorted_set',
      maxItems: 200,
      format: 'skill-id',
      description: 'Skill ids (see the claresia_skill_catalog data source); stored sorted and without duplicates.',
      example: ['claresia.gatespic.pipeline-hygiene', 'claresia.gatespic.call-recap'],
    },
    source: {
      type: 'string',
      mode: 'computed',
      // A set written here is manual from then on, whatever pack it came from.
      derivedFrom: ['skills'],
      description: '"manual" for a set managed directly, otherwise the Cowork pack(s) it came from, comma-separated.',
    },
  },
  terraformExample: `resource "claresia_skill_entitlement" "sales" {
  archetype = "sales"
  skills = [
    "claresia.gatespic.pipeline-hygiene",
    "claresia.gatespic.call-recap",
    "claresia.core.email-drafting",
  ]
}`,
};
