# Mode A: a Claresia-hosted Hub. The whole tenant in one module call: SAML SSO, a SCIM directory
# for Okta with two group mappings, two LLM connectors, the Hub, and the go-to-market Cowork pack with one skill blocked.
#
# The operator token and the control plane's URL come from the environment:
#   CLARESIA_ENDPOINT=http://127.0.0.1:8080 CLARESIA_TOKEN=$(cat .data/operator-token)
#   TF_VAR_anthropic_api_key=... TF_VAR_slack_bot_token=... terraform apply

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}

variable "slug" {
  description = "The tenant's slug."
  type        = string
  default     = "acme-a"
}

variable "scim_ip_allowlist" {
  description = "Addresses allowed to call the SCIM endpoint: your IdP's egress ranges (Okta publishes its own)."
  type        = set(string)
  default     = ["203.0.113.0/24", "2001:db8:42::/48"]
}

variable "anthropic_api_key" {
  description = "Admin key of the Claude connector; write-only, never in the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "slack_bot_token" {
  description = "Bot token of the Slack connector; write-only, never in the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The operator: creates the tenant.
provider "claresia" {}

# The tenant's own service account, from the tenant the module creates.
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
    display_name    = "Acme Corp"
    region          = "eu-west-1"
    deployment_mode = "A"
    billing_contact = "billing@acme.example"
  }

  sso = {
    protocol        = "saml"
    name            = "Okta"
    idp_sso_url     = "https://acme.okta.example/app/acme_claresia/exk1a2b3c4/sso/saml"
    idp_entity_id   = "http://www.okta.com/exk1a2b3c4"
    idp_certificate = file("${path.module}/idp-signing-certificate.pem")
  }

  scim = {
    idp          = "okta"
    ip_allowlist = var.scim_ip_allowlist
  }

  # Roles for the IdP's claresia-* groups (the default four come with every tenant).
  group_mappings = {
    claresia-sales-pilot = { role = "member", archetype = "sales" }
    claresia-it-admins   = { role = "tenant_admin" }
  }

  llm_connectors = {
    claude = { platform = "claude", name = "Claude Enterprise" }
    slack  = { platform = "slack", name = "Acme Slack" }
  }
  llm_credentials = {
    claude = var.anthropic_api_key
    slack  = var.slack_bot_token
  }

  cowork_packs = {
    go-to-market = { blocked_skills = ["claresia.exec.web-research"] }
  }
}

output "tenant_id" {
  value = module.tenant.tenant_id
}

# The tenant's service account, e.g. for `claresia-control-plane health`
# (CLARESIA_CLIENT_ID, CLARESIA_CLIENT_SECRET).
output "client_id" {
  value = module.tenant.client_id
}

output "client_secret" {
  value     = module.tenant.client_secret
  sensitive = true
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

output "group_mappings" {
  value = module.tenant.group_mappings
}

output "llm_connectors" {
  value = module.tenant.llm_connectors
}

output "hub_endpoint" {
  value = module.tenant.hub_endpoint
}

output "health" {
  value = module.tenant.health
}
