// The provider as a library: used by tests, the docs generator and the bench.
export { createProvider, PROVIDER_VERSION } from './provider.js';
export { resourceSchema, providerSchema, resourceType, providerType, ctyTypeOf } from './schema.js';
export { encodeMsgpack, decodeMsgpack, encodeJson, decodeJson } from './values/codec.js';
export { UNKNOWN, type CtyType, type Value, type ObjectValue } from './values/cty.js';
export { GenericResource } from './resource/generic.js';
export { resolveConfig } from './config.js';
