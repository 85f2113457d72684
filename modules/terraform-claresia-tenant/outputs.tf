output "tenant_id" {
  description = "The tenant's id."
  value       = claresia_tenant.this.id
}

output "client_id" {
  description = "Client id of the tenant's first service account: configure the `claresia.tenant` provider with it."
  value       = claresia_tenant.this.client_id
}

output "client_secret" {
  description = "Client secret of the tenant's first service account (returned once, at creation): configure the `claresia.tenant` provider with it."
  value       = claresia_tenant.this.client_secret
  sensitive   = true
}

output "sso_connection_id" {
  description = "Id of the SSO connection; null without `sso`."
  value       = one(claresia_sso_connection.this[*].id)
}

output "acs_url" {
  description = "SAML Assertion Consumer Service URL (or OIDC redirect URI) to register at the IdP; null without `sso`."
  value       = one(claresia_sso_connection.this[*].acs_url)
}

output "audience_uri" {
  description = "SP entity ID (audience URI) to register at the IdP; null without `sso`."
  value       = one(claresia_sso_connection.this[*].audience_uri)
}

output "scim_directory_id" {
  description = "Id of the SCIM directory; null without `scim`."
  value       = one(claresia_scim_directory.this[*].id)
}

output "scim_endpoint_url" {
  description = "The SCIM 2.0 base URL to give the IdP; null without `scim`."
  value       = one(claresia_scim_directory.this[*].endpoint_url)
}

output "scim_bearer_token" {
  description = "The bearer token the IdP authenticates to the SCIM endpoint with (returned once, at creation; null after an import, and after a rotation outside Terraform, which the refresh warns about)."
  value       = one(claresia_scim_directory.this[*].bearer_token)
  sensitive   = true
}

output "group_mappings" {
  description = "Id of each group mapping, by group name."
  value       = { for g, m in claresia_group_mapping.this : g => m.id }
}

output "llm_connectors" {
  description = "Each LLM connector by its key in `llm_connectors`: id and status (untested until the control plane has tested it, which it does by itself after create and after a credential change)."
  value       = { for k, c in claresia_llm_connector.this : k => { id = c.id, status = c.status } }
}

output "llm_ingest_credentials" {
  description = "Each LLM connector's ingest credential by its key in `llm_connectors`: the secret its platform sends skill invocations to POST /api/v1/telemetry/events with (returned once, at creation; null after an import, and after a rotation outside Terraform, which the refresh warns about)."
  value       = { for k, c in claresia_llm_connector.this : k => c.ingest_credential }
  sensitive   = true
}

output "hub_id" {
  description = "Id of the Hub."
  value       = claresia_hub.this.id
}

output "hub_endpoint" {
  description = "Where the Hub is reached: your mTLS endpoint in Mode C, the control plane's Hub API in Modes A and B."
  value       = claresia_hub.this.endpoint
}

output "hub_status" {
  description = "The Hub's status after apply: ready (apply waits for it, at the Hub's create or, with hub.wait_for_ready = false, after hub_ready_after)."
  value       = var.hub.wait_for_ready ? claresia_hub.this.status : data.claresia_hub_ready.this[0].status
}

output "cmek_key_id" {
  description = "Mode B: id of the customer-managed key created for the Hub; null in Modes A and C."
  value       = claresia_hub.this.cmek_key_id
}

output "mtls_endpoint_url" {
  description = "Mode C: the endpoint the control plane reaches over mutual TLS; null otherwise."
  value       = claresia_hub.this.mtls_endpoint_url
}

output "control_plane_client_certificate" {
  description = "Mode C: PEM of the control plane's client certificate; your endpoint must trust exactly this certificate. Null otherwise."
  value       = claresia_hub.this.control_plane_client_certificate
}

output "control_plane_client_certificate_sha256" {
  description = "Mode C: SHA-256 fingerprint of the control plane's client certificate (colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it), to pin at your endpoint. Null otherwise."
  value       = claresia_hub.this.control_plane_client_certificate_sha256
}

output "control_plane_client_certificate_not_after" {
  description = "Mode C: when the control plane's client certificate expires (RFC 3339), to monitor. Null otherwise."
  value       = claresia_hub.this.control_plane_client_certificate_not_after
}

output "customer_ca_certificate_sha256" {
  description = "Mode C: SHA-256 fingerprints of the CA certificates given in hub.customer_ca_certificate, in order. Empty otherwise."
  # The conditional chooses a string, not a list: its arms are both evaluated, and a null reaching
  # split() had made the value an empty tuple where a list(string) was planned.
  value = compact(split(",", claresia_hub.this.customer_ca_certificate_sha256 == null ? "" : claresia_hub.this.customer_ca_certificate_sha256))
}

output "cowork_packs" {
  description = "Each applied Cowork pack by name: its blocked skills and when it was applied."
  value       = { for k, c in claresia_cowork.this : k => { blocked_skills = c.blocked_skills, applied_at = c.applied_at } }
}

output "health" {
  description = "The tenant's health after apply: overall (green when every check is green), each check by name (status, reason, action), and onboarding progress through the ten runbook steps."
  value = {
    overall = data.claresia_tenant_health.this.overall
    checks = {
      for c in data.claresia_tenant_health.this.checks : c.name => { status = c.status, reason = c.reason, action = c.action }
    }
    onboarding = {
      completed = data.claresia_tenant_health.this.onboarding.completed
      next_step = try([for s in data.claresia_tenant_health.this.onboarding.steps : "${s.step}. ${s.name}" if !s.done][0], null)
    }
  }
}
