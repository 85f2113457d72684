/** The Claresia Pulumi SDK: `import * as claresia from '@claresia/pulumi'`. */
export * from './sdk/index.js';
export { VERSION } from './version.js';
