import { dataSources, resources, type JsonSchema } from '@claresia/catalog';

/**
 * The component schema the catalog derives for a resource or data source, for a hand-written
 * route that answers one: its attributes are listed once, in the catalog.
 */
export function catalogSchema(name: string): JsonSchema {
  const def = [...resources, ...dataSources].find((d) => d.name === name);
  if (!def) throw new Error(`no catalog resource or data source named ${name}`);
  return { $ref: `#/components/schemas/${def.title}` };
}
