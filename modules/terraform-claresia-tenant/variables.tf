# The module's variables that are not generated from the catalog. tenant, sso, scim,
# llm_connectors and hub are in variables-catalog.tf, written by `npm run variables:module` from
# catalog/src/resources/*.ts. Each variable here says why it is written by hand; its checks
# mirror what the control-plane API refuses, so a mistake fails at `terraform plan` with the
# field named. Conditions use `a == null ? true : b` because `||` does not short-circuit.

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

# group_mapping, keyed by its `group`. By hand: what is checked of the key (the `claresia-`
# prefix, one mapping per group compared case-insensitively, the groups every tenant has mapped)
# is the control plane's, not in the catalog's attribute declarations; role and archetype restate
# the catalog's enums (ROLES, ARCHETYPES), which the generator cannot reach through a map key yet.
variable "group_mappings" {
  description = "IdP groups (pushed over SCIM) mapped to Claresia roles, by group name: role is tenant_admin, auditor or member; archetype optionally grants that archetype's skills to the group's members. Every tenant starts with claresia-admins, claresia-auditors, claresia-users and claresia-eng-pilot mapped; manage those through the API (or an import block in your root module), not here."
  type = map(object({
    role      = string
    archetype = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for g in keys(var.group_mappings) : startswith(lower(g), "claresia-") && length(g) > 9 && length(g) <= 256])
    error_message = "group_mappings: a group name starts with \"claresia-\" followed by a name (at most 256 characters in all), e.g. claresia-data-pilot; only those groups carry roles."
  }
  validation {
    condition     = length(distinct([for g in keys(var.group_mappings) : lower(g)])) == length(var.group_mappings)
    error_message = "group_mappings: group names are compared case-insensitively; two keys name the same group."
  }
  validation {
    condition     = alltrue([for g in keys(var.group_mappings) : !contains(["claresia-admins", "claresia-auditors", "claresia-users", "claresia-eng-pilot"], lower(g))])
    error_message = "group_mappings: claresia-admins, claresia-auditors, claresia-users and claresia-eng-pilot are mapped in every new tenant already; change them through the API or import them in your root module."
  }
  validation {
    condition     = alltrue([for m in values(var.group_mappings) : contains(["tenant_admin", "auditor", "member"], m.role)])
    error_message = "group_mappings: role must be tenant_admin, auditor or member."
  }
  validation {
    condition     = alltrue([for m in values(var.group_mappings) : m.archetype == null ? true : contains(["eng", "data", "product", "design", "sales", "marketing", "support", "finance", "legal", "hr", "ops", "exec"], m.archetype)])
    error_message = "group_mappings: archetype must be one of eng, data, product, design, sales, marketing, support, finance, legal, hr, ops, exec."
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

# cowork, keyed by its `pack`. By hand: the pack name pattern and the 200 blocked skills restate
# the catalog, which the generator cannot reach through a map key yet; the skill id check is the
# module's own (the catalog declares no pattern for blocked_skills).
variable "cowork_packs" {
  description = "Cowork packs to apply (runbook step 9), by pack name (starter, go-to-market, builders, back-office, enterprise; see the claresia_skill_catalog data source), each with the skill ids blocked by policy."
  type = map(object({
    blocked_skills = optional(set(string), [])
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for p in keys(var.cowork_packs) : can(regex("^[a-z][a-z0-9-]{0,59}$", p))])
    error_message = "cowork_packs: a pack name is lowercase letters, digits and hyphens, starting with a letter (e.g. go-to-market)."
  }
  validation {
    condition     = alltrue([for p in values(var.cowork_packs) : length(p.blocked_skills) <= 200])
    error_message = "cowork_packs: blocked_skills holds at most 200 skill ids."
  }
  validation {
    condition     = alltrue(flatten([for p in values(var.cowork_packs) : [for s in p.blocked_skills : can(regex("^[a-z][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)+$", s))]]))
    error_message = "cowork_packs: blocked_skills holds skill ids such as claresia.exec.web-research."
  }
}
