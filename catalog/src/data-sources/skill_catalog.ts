import type { DataSourceDef } from '../types.js';

export const skillCatalog: DataSourceDef = {
  name: 'skill_catalog',
  title: 'SkillCatalog',
  description: 'Every skill Claresia can distribute and the Cowork packs that bundle them, with the default set each pack gives each archetype.',
  auth: 'tenant',
  api: { read: { method: 'GET', path: '/api/v1/skill-entitlement/skills' } },
  attributes: {
    skills: {
      type: {
        list: {
          object: {
            id: { type: 'string', mode: 'computed', description: 'Skill id, e.g. claresia.gatespic.pipeline-hygiene.' },
            name: { type: 'string', mode: 'computed', description: 'Display name.' },
            suite: { type: 'string', mode: 'computed', description: 'The suite the skill belongs to.' },
            description: { type: 'string', mode: 'computed', description: 'What the skill does.' },
          },
        },
      },
      mode: 'computed',
      description: 'The skills.',
    },
    packs: {
      type: {
        list: {
          object: {
            name: { type: 'string', mode: 'computed', description: 'Pack name, the id of a claresia_cowork.' },
            description: { type: 'string', mode: 'computed', description: 'What the pack is for.' },
            grants: { type: { map: { list: 'string' } }, mode: 'computed', description: 'Archetype to its default skill ids.' },
          },
        },
      },
      mode: 'computed',
      description: 'The Cowork packs.',
    },
  },
  terraformExample: `data "claresia_skill_catalog" "all" {}`,
};
