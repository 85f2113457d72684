# Mode C (BYOC): the Hub is your own endpoint, reached by the control plane over mutual TLS.
#
# 1. Give the endpoint's URL and the CA that issued its server certificate:
#      TF_VAR_mtls_endpoint_url=https://hub.acme.example:8443/claresia
#      TF_VAR_customer_ca_certificate="$(cat acme-hub-ca.pem)"
# 2. terraform apply. The control plane issues a client certificate for this Hub at once, and
#    the Hub turns ready once your endpoint accepts it. The Hub does not block on that
#    (hub.wait_for_ready = false): terraform_data.endpoint_trust below takes the certificate in
#    the same apply (replace it with your trust store: a secret store, a config push, a
#    local-exec), and hub_ready_after makes the module's hub_status and health wait (up to 20
#    minutes) until the endpoint trusts it. If nothing in this configuration installs it, set
#    wait_for_ready = true instead: create then waits (hub_create_timeout) while you install it
#    out of band (GET /api/v1/hub with the tenant's credentials shows it).
# 3. The outputs below are what your own infrastructure consumes: the PEM to trust, the
#    fingerprint to pin, and the fingerprints of the CA bundle the control plane verifies your
#    endpoint against (compare them with your PKI's).
# 4. Rotating your CA: first give the bundle with the old and the new CA, then only the new one
#    once the endpoint serves a certificate from it. Both apply in place: the Hub, its key and
#    the pinned client certificate stay; the control plane proves the link again.

terraform {
  required_version = ">= 1.11.0"
  required_providers {
    claresia = { source = "claresia/claresia" }
  }
}

variable "slug" {
  description = "The tenant's slug."
  type        = string
  default     = "initech-c"
}

variable "mtls_endpoint_url" {
  description = "Your Hub endpoint (https, demands a client certificate)."
  type        = string
}

variable "customer_ca_certificate" {
  description = "PEM of the CA (or bundle) that issued your endpoint's server certificate."
  type        = string
}

variable "hub_create_timeout" {
  description = "With hub_wait_for_ready = true: how long create waits for your endpoint to trust the control plane's client certificate."
  type        = string
  default     = "30m"
}

variable "hub_wait_for_ready" {
  description = "false when this configuration installs the client certificate in your endpoint's trust store (terraform_data.endpoint_trust)."
  type        = bool
  default     = false
}

variable "anthropic_api_key" {
  description = "Admin key of the Claude connector; write-only, never in the state."
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
    display_name    = "Initech"
    region          = "us-east-1"
    deployment_mode = "C"
    billing_contact = "billing@initech.example"
  }

  sso = {
    protocol        = "saml"
    name            = "Keycloak"
    idp_sso_url     = "https://sso.initech.example/realms/initech/protocol/saml"
    idp_entity_id   = "https://sso.initech.example/realms/initech"
    idp_certificate = file("${path.module}/../mode-a/idp-signing-certificate.pem")
  }

  scim = {
    idp          = "keycloak"
    ip_allowlist = ["198.51.100.0/24"]
  }

  llm_connectors  = { claude = { platform = "claude", name = "Claude" } }
  llm_credentials = { claude = var.anthropic_api_key }

  hub = {
    mtls_endpoint_url       = var.mtls_endpoint_url
    customer_ca_certificate = var.customer_ca_certificate
    create_timeout          = var.hub_create_timeout
    wait_for_ready          = var.hub_wait_for_ready
  }
  # hub_status and health describe the Hub once the endpoint trusts its certificate.
  hub_ready_after = terraform_data.endpoint_trust.id

  cowork_packs = { builders = {} }
}

# What the customer's infrastructure takes from the module, in one place: a trust-store entry
# for the endpoint (the PEM, pinned by fingerprint), made in the same apply as the Hub.
# Replaced whenever the Hub, and so its certificate, is replaced (a CA rotation or an endpoint
# move is not: the certificate stays), so a downstream pipeline keyed on it re-installs the new one.
resource "terraform_data" "endpoint_trust" {
  triggers_replace = module.tenant.hub_id
  input = {
    endpoint            = module.tenant.mtls_endpoint_url
    client_certificate  = module.tenant.control_plane_client_certificate
    pinned_sha256       = module.tenant.control_plane_client_certificate_sha256
    verified_ca_sha256s = module.tenant.customer_ca_certificate_sha256
  }
}

# Pinning a malformed fingerprint would lock the control plane out; say so at plan time.
check "client_certificate_pin" {
  assert {
    condition     = can(regex("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", module.tenant.control_plane_client_certificate_sha256))
    error_message = "The control plane's client certificate fingerprint is not a SHA-256 fingerprint: ${coalesce(module.tenant.control_plane_client_certificate_sha256, "null")}"
  }
  assert {
    condition     = module.tenant.hub_status == "ready"
    error_message = "The Hub is ${module.tenant.hub_status}: the endpoint does not accept the control plane's client certificate yet."
  }
}

output "tenant_id" {
  value = module.tenant.tenant_id
}

output "mtls_endpoint_url" {
  value = terraform_data.endpoint_trust.output.endpoint
}

output "control_plane_client_certificate" {
  description = "Install in your endpoint's client-certificate trust store."
  value       = terraform_data.endpoint_trust.output.client_certificate
}

output "control_plane_client_certificate_sha256" {
  description = "Pin at your endpoint."
  value       = terraform_data.endpoint_trust.output.pinned_sha256
}

output "customer_ca_certificate_sha256" {
  description = "The CA certificates the control plane verifies your endpoint's server certificate against."
  value       = terraform_data.endpoint_trust.output.verified_ca_sha256s
}

output "acs_url" {
  value = module.tenant.acs_url
}

output "scim_endpoint_url" {
  value = module.tenant.scim_endpoint_url
}

output "health" {
  value = module.tenant.health
}
