import type { DataSourceDef } from '../types.js';

export const archetypes: DataSourceDef = {
  name: 'archetypes',
  title: 'Archetypes',
  description: "The archetypes, how many roster members the classifier (cc-061) or an override put in each, and each one's entitled skills.",
  auth: 'tenant',
  api: { read: { method: 'GET', path: '/api/v1/roster/archetypes' } },
  attributes: {
    classifier: { type: 'string', mode: 'computed', description: 'The classifier that assigns archetypes (cc-061).' },
    threshold: { type: 'number', mode: 'computed', description: 'Confidence below which a member is left unmatched.' },
    archetypes: {
      type: {
        list: {
          object: {
            name: { type: 'string', mode: 'computed', description: 'Archetype id, e.g. sales.' },
            label: { type: 'string', mode: 'computed', description: 'Display name.' },
            members: { type: 'integer', mode: 'computed', description: 'Active roster members with this archetype.' },
            skills: { type: { list: 'string' }, mode: 'computed', description: 'Entitled skill ids.' },
          },
        },
      },
      mode: 'computed',
      description: 'One entry per archetype.',
    },
  },
  terraformExample: `data "claresia_archetypes" "all" {}`,
};
