/** Every generated file of the package, by path relative to pulumi-package/. */
import { dataSources, resources } from '@claresia/catalog';
import { VERSION } from '../version.js';
import { buildSchema } from './schema.js';
import { sdkFiles } from './sdk.js';

export function schemaJson(): string {
  return JSON.stringify(buildSchema(resources, dataSources, VERSION), null, 2) + '\n';
}

export function generatedFiles(): Map<string, string> {
  const files = sdkFiles(resources, dataSources);
  files.set('schema.json', schemaJson());
  return files;
}
