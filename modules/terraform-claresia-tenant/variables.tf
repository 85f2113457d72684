# The module's variables that are not generated from the catalog: tenant, sso, scim,
# group_mappings, llm_connectors, hub and cowork_packs are in variables-catalog.tf, written by
# `npm run variables:module` from catalog/src/resources/*.ts. Each variable here says why it is
# written by hand; its checks mirror what the control-plane API refuses, so a mistake fails at
# `terraform plan` with the field named. Conditions use `a == null ? true : b` because `||` does
# not short-circuit.

# sso_connection.client_secret, apart from `sso` because it is ephemeral (an object attribute
# cannot be). By hand: its checks read the other variable (required with protocol "oidc", refused
# otherwise), and the generator derives object and map variables of one resource, not a lone
# attribute paired with another variable; the length bounds restate the catalog's 1 to 2000.
variable "sso_client_secret" {
  description = "OIDC client secret of the SSO connection. Write-only: sent to the API, never stored in the state (it may be an ephemeral value)."
  type        = string
  default     = null
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "oidc" || var.sso_client_secret != null
    error_message = "sso_client_secret is required with sso.protocol \"oidc\"."
  }
  validation {
    condition     = var.sso_client_secret == null ? true : length(var.sso_client_secret) >= 1 && length(var.sso_client_secret) <= 2000 && (var.sso == null ? false : var.sso.protocol == "oidc")
    error_message = "sso_client_secret is only used with sso.protocol \"oidc\", and holds 1 to 2000 characters."
  }
}

# llm_connector.credential of each entry of `llm_connectors`, apart because it is ephemeral. By
# hand: its checks compare keys with the other variable; the 8 to 4096 characters restate the
# catalog's bounds.
variable "llm_credentials" {
  description = "The platform credential (API key, admin key or bot token) of each entry of `llm_connectors`, by the same key. Write-only: sent to the API, never stored in the state (the values may be ephemeral)."
  type        = map(string)
  default     = {}
  nullable    = false
  sensitive   = true
  ephemeral   = true

  validation {
    condition     = alltrue([for k in keys(var.llm_connectors) : contains(keys(var.llm_credentials), k)])
    error_message = "llm_credentials needs a credential for every key of llm_connectors."
  }
  validation {
    condition     = alltrue([for k in keys(var.llm_credentials) : contains(keys(var.llm_connectors), k)])
    error_message = "llm_credentials has a key that is not in llm_connectors."
  }
  validation {
    condition     = alltrue([for v in values(var.llm_credentials) : length(v) >= 8 && length(v) <= 4096])
    error_message = "llm_credentials: each credential holds 8 to 4096 characters."
  }
}
