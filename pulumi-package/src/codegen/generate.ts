/** Every generated file of the package, by path relative to pulumi-package/. */
import { resources } from '@claresia/catalog';
import { VERSION } from '../version.js';
import { buildSchema } from './schema.js';
import { sdkFiles } from './sdk.js';

export function schemaJson(): string {
  return JSON.stringify(buildSchema(resources, VERSION), null, 2) + '\n';
}

export function generatedFiles(): Map<string, string> {
  const files = sdkFiles(resources);
  files.set('schema.json', schemaJson());
  return files;
}
