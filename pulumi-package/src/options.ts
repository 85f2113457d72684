import type * as pulumi from '@pulumi/pulumi';
import { VERSION } from './version.js';

/** Every SDK resource asks for the plugin version it was generated with. */
export function resourceOptsDefaults(): pulumi.CustomResourceOptions {
  return { version: VERSION };
}

/** Every SDK function call asks for the same plugin version. */
export function invokeOptsDefaults(): pulumi.InvokeOptions {
  return { version: VERSION };
}
