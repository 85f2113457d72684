# The smallest useful call: a Mode A tenant with a SCIM directory, one Claude connector and the
# starter Cowork pack. The operator token and endpoint come from CLARESIA_ENDPOINT and
# CLARESIA_TOKEN; the tenant's own provider signs in with the credentials the module returns.

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}

variable "slug" {
  type    = string
  default = "acme-basic"
}

variable "anthropic_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

provider "claresia" {}

provider "claresia" {
  alias         = "tenant"
  client_id     = module.tenant.client_id
  client_secret = module.tenant.client_secret
}

module "tenant" {
  source    = "../.."
  providers = { claresia = claresia, claresia.tenant = claresia.tenant }

  tenant = {
    slug            = var.slug
    display_name    = "Acme (basic)"
    region          = "us-west-2"
    deployment_mode = "A"
    billing_contact = "billing@acme.example"
  }
  scim            = { idp = "google" }
  llm_connectors  = { claude = { platform = "claude", name = "Claude" } }
  llm_credentials = { claude = var.anthropic_api_key }
  cowork_packs    = { starter = { blocked_skills = ["claresia.core.translation"] } }
}

output "tenant_id" {
  value = module.tenant.tenant_id
}

output "hub_status" {
  value = module.tenant.hub_status
}

output "hub_endpoint" {
  value = module.tenant.hub_endpoint
}

output "scim_endpoint_url" {
  value = module.tenant.scim_endpoint_url
}

output "cowork_packs" {
  value = module.tenant.cowork_packs
}

output "health" {
  value = module.tenant.health
}
