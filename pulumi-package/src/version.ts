import pkg from '../package.json' with { type: 'json' };

/** The package version: the SDK asks the engine for this version of the `claresia` plugin. */
export const VERSION: string = pkg.version;
