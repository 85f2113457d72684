/**
 * Pulumi names of catalog things. The API speaks snake_case; Pulumi programs and the package
 * schema speak camelCase. Every layer maps through these two functions, so a name is never
 * spelled by hand.
 */
import { PROVIDER_NAME, type Attribute, type DataSourceDef, type ResourceDef } from '@claresia/catalog';

export const PACKAGE = PROVIDER_NAME;

export function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function snake(camelName: string): string {
  return camelName.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/** The catalog attribute names of the Pulumi properties `props` (those that name one). */
export function attributesNamed(def: Pick<ResourceDef, 'attributes'>, props: readonly string[]): string[] {
  return Object.keys(def.attributes).filter((n) => props.includes(camel(n)));
}

/** `claresia:index:Tenant` */
export function resourceToken(def: Pick<ResourceDef, 'title'>): string {
  return `${PACKAGE}:index:${def.title}`;
}

/** `claresia:index:getTenantHealth`: a catalog data source as a Pulumi function. */
export function functionToken(def: Pick<DataSourceDef, 'title'>): string {
  return `${PACKAGE}:index:get${def.title}`;
}

/** The type token of a resource's URN: `...::claresia:index:Tenant::name` → the ResourceDef title. */
export function titleFromUrn(urn: string): string | undefined {
  const type = urn.split('::')[2]?.split('$').pop();
  const parts = type?.split(':');
  return parts && parts.length === 3 && parts[0] === PACKAGE ? parts[2] : undefined;
}

/** Values a Pulumi program must treat as secrets: the catalog's sensitive, write-only and shown-once attributes. */
export function isSecret(attr: Attribute): boolean {
  return !!(attr.sensitive || attr.writeOnly || attr.returnedOnce);
}

export function isInput(attr: Attribute): boolean {
  return attr.mode !== 'computed';
}

