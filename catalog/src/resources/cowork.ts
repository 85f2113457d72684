import type { ResourceDef } from '../types.js';

export const cowork: ResourceDef = {
  name: 'cowork',
  title: 'Cowork',
  description:
    "An applied Cowork pack: it gives each archetype it covers the pack's default skill set, minus the skills blocked by " +
    'policy. Applying, changing or removing a pack recomputes the entitlements it produced; sets managed as ' +
    'claresia_skill_entitlement are left alone.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'pack',
  api: {
    create: { method: 'POST', path: '/api/v1/skill-entitlement/coworks' },
    read: { method: 'GET', path: '/api/v1/skill-entitlement/coworks/{id}' },
    update: { method: 'PATCH', path: '/api/v1/skill-entitlement/coworks/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/skill-entitlement/coworks/{id}' },
    list: { method: 'GET', path: '/api/v1/skill-entitlement/coworks' },
  },
  importId: { format: '{pack}', example: 'go-to-market', what: 'the pack name, as the claresia_skill_catalog data source lists packs' },
  attributes: {
    pack: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      pattern: '^[a-z][a-z0-9-]{0,59}$',
      description: 'The pack name (see the claresia_skill_catalog data source), e.g. starter, go-to-market, builders, back-office, enterprise.',
      example: 'go-to-market',
    },
    blocked_skills: {
      type: { set: 'string' },
      mode: 'optional_computed',
      default: [],
      normalize: 'sorted_set',
      maxItems: 200,
      format: 'skill-id',
      description: 'Skill ids blocked by policy: never granted by this pack, and refused in any archetype set while the pack is applied.',
      example: ['claresia.exec.web-research'],
    },
    applied_at: { type: 'string', mode: 'computed', format: 'date-time', derivedFrom: ['blocked_skills'], description: 'When the pack was last applied (RFC 3339).' },
  },
  terraformExample: `resource "claresia_cowork" "gtm" {
  pack           = "go-to-market"
  blocked_skills = ["claresia.exec.web-research"]
}`,
};
