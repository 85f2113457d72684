import { ARCHETYPES } from '@claresia/catalog';

// The list itself is declared once, in the catalog, so request schemas and IaC enums agree.
export { ARCHETYPES };

export type Archetype = (typeof ARCHETYPES)[number];

export const ARCHETYPE_LABELS: Record<Archetype, string> = {
  eng: 'Engineering',
  data: 'Data and analytics',
  product: 'Product management',
  design: 'Design',
  sales: 'Sales',
  marketing: 'Marketing',
  support: 'Customer support and success',
  finance: 'Finance',
  legal: 'Legal and compliance',
  hr: 'People and HR',
  ops: 'Operations',
  exec: 'Executive',
};

export function isArchetype(v: unknown): v is Archetype {
  return typeof v === 'string' && (ARCHETYPES as readonly string[]).includes(v);
}
