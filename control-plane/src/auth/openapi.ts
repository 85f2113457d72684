import type { JsonSchema } from '@claresia/catalog';
import { ROLES } from '@claresia/catalog';

/** The response bodies of the caller's own routes, for the OpenAPI document. */

const role: JsonSchema = { enum: [...ROLES] };

/** GET /api/v1/me: a service account is its id and role; a signed-in user also what they hold. */
export const meSchema: JsonSchema = {
  oneOf: [
    {
      type: 'object',
      required: ['subject_type', 'subject_id', 'actor', 'role'],
      properties: { subject_type: { const: 'service_account' }, subject_id: { type: 'string' }, actor: { type: 'string' }, role },
    },
    {
      type: 'object',
      required: ['subject_type', 'subject_id', 'role', 'groups', 'archetypes', 'skills'],
      properties: {
        subject_type: { const: 'user' },
        subject_id: { type: 'string' },
        email: { type: ['string', 'null'] },
        role,
        groups: { type: 'array', items: { type: 'string' }, description: 'Their SCIM groups' },
        archetypes: { type: 'array', items: { type: 'string' }, description: 'Their roster archetype and those their groups grant' },
        skills: { type: 'array', items: { type: 'string' }, description: 'The skills those archetypes are entitled to, less the blocked ones' },
      },
    },
  ],
};
