# Mode B: a dedicated Hub whose tenant credentials are encrypted under a customer-managed key
# (CMEK) created for it in hub.region. SSO from the IdP's SAML metadata document, a SCIM
# directory for Entra ID, one ChatGPT connector, and the enterprise Cowork pack.
#
#   CLARESIA_ENDPOINT=... CLARESIA_TOKEN=<operator token> TF_VAR_openai_api_key=... terraform apply

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}

variable "slug" {
  description = "The tenant's slug."
  type        = string
  default     = "globex-b"
}

variable "openai_api_key" {
  description = "API key of the ChatGPT connector; write-only, never in the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

provider "claresia" {}

provider "claresia" {
  alias         = "tenant"
  client_id     = module.tenant.client_id
  client_secret = module.tenant.client_secret
}

module "tenant" {
  source = "../../modules/terraform-claresia-tenant"
  providers = {
    claresia        = claresia
    claresia.tenant = claresia.tenant
  }

  tenant = {
    slug            = var.slug
    display_name    = "Globex Corporation"
    region          = "eu-central-1"
    deployment_mode = "B"
    billing_contact = "Accounts.Payable@Globex.example"
    support_tier    = "enterprise"
  }

  sso = {
    protocol     = "saml"
    name         = "Entra ID"
    metadata_xml = file("${path.module}/idp-metadata.xml")
  }

  scim = { idp = "entra" }

  llm_connectors = {
    chatgpt = { platform = "chatgpt", name = "ChatGPT Enterprise" }
  }
  llm_credentials = {
    chatgpt = var.openai_api_key
  }

  hub = { region = "eu-central-1" }

  cowork_packs = {
    enterprise = { blocked_skills = ["claresia.exec.web-research", "claresia.gatespic.outbound-sequencer"] }
  }
}

output "tenant_id" {
  value = module.tenant.tenant_id
}

output "cmek_key_id" {
  value = module.tenant.cmek_key_id
}

output "acs_url" {
  value = module.tenant.acs_url
}

output "audience_uri" {
  value = module.tenant.audience_uri
}

output "scim_endpoint_url" {
  value = module.tenant.scim_endpoint_url
}

output "scim_bearer_token" {
  value     = module.tenant.scim_bearer_token
  sensitive = true
}

output "health" {
  value = module.tenant.health
}
