/** The twelve archetypes a roster member maps to; skill entitlements are granted per archetype. */
export const ARCHETYPES = ['eng', 'data', 'product', 'design', 'sales', 'marketing', 'support', 'finance', 'legal', 'hr', 'ops', 'exec'] as const;

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
