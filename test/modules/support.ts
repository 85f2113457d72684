import { cpSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, workspace, type Workspace } from '../provider/support/terraform.js';

export const MODULE = path.join(repoRoot, 'modules/terraform-claresia-tenant');

/** Where tenantModuleWorkspace puts the module, as `source` names it from the workspace's root. */
export const MODULE_SOURCE = './terraform-claresia-tenant';

/** Copies the module to `dest` as a checkout has it: without a local run's .terraform, lock file or state. */
export function copyModule(dest: string): void {
  cpSync(MODULE, dest, { recursive: true, filter: (src) => !/(^|\/)(\.terraform|\.terraform\.lock\.hcl|terraform\.tfstate(\.backup)?)$/.test(src) });
}

/** A mirror workspace (for `terraform init`) with a copy of the module at MODULE_SOURCE. */
export function tenantModuleWorkspace(env: Record<string, string> = {}): { ws: Workspace; dir: string } {
  const ws = workspace({ mirror: true, env });
  const dir = path.join(ws.dir, MODULE_SOURCE);
  copyModule(dir);
  return { ws, dir };
}

/** An HCL expression given as it is (a variable, a reference) rather than as a quoted string. */
export interface Expr {
  expr: string;
}

export interface TenantModuleCall {
  /** The module's `source`; MODULE_SOURCE by default. */
  source?: string;
  /** The module's `tenant` input; display_name, region, deployment_mode A and billing_contact have defaults. */
  tenant: { slug: string | Expr } & Record<string, string | Expr>;
  /** The module's other inputs, as HCL lines inside the module block. */
  inputs?: string;
  /** Declarations before the providers (variables). */
  before?: string;
  /** Declarations after the module call (outputs, resources that use them). */
  after?: string;
}

const hcl = (v: string | Expr) => (typeof v === 'string' ? JSON.stringify(v) : v.expr);

/**
 * A root module calling the tenant module as its README tells users to: the claresia provider
 * twice, the operator's and the tenant's (signed in with the client_id and client_secret the
 * module outputs), both handed to the module call.
 */
export function tenantModuleConfig(call: TenantModuleCall): string {
  const { slug, ...given } = call.tenant;
  const tenant = { slug, display_name: 'Acme', region: 'eu-west-1', deployment_mode: 'A', billing_contact: 'billing@acme.example', ...given };
  const width = Math.max(...Object.keys(tenant).map((k) => k.length));
  const fields = Object.entries(tenant).map(([k, v]) => `    ${k.padEnd(width)} = ${hcl(v)}`);
  return `terraform {
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}
${call.before ?? ''}
provider "claresia" {}
provider "claresia" {
  alias         = "tenant"
  client_id     = module.tenant.client_id
  client_secret = module.tenant.client_secret
}
module "tenant" {
  source    = "${call.source ?? MODULE_SOURCE}"
  providers = { claresia = claresia, claresia.tenant = claresia.tenant }
  tenant = {
${fields.join('\n')}
  }
${call.inputs ?? ''}
}
${call.after ?? ''}`;
}
