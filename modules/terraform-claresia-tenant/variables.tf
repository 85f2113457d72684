# Validation mirrors what the control-plane API refuses (catalog/src/resources/*.ts and the
# modules behind them), so a mistake fails at `terraform plan` with the field named, before
# anything is created. Conditions use `a == null ? true : b` because `||` does not short-circuit.

variable "tenant" {
  description = "The tenant to create (runbook step 3), with the operator token of the default `claresia` provider. `deployment_mode` chooses the Hub: A (Claresia-hosted), B (dedicated, customer-managed key), C (BYOC over mutual TLS). slug, region and deployment_mode cannot change without replacing the tenant."
  type = object({
    slug            = string
    display_name    = string
    region          = string
    deployment_mode = string
    billing_contact = string
    support_tier    = optional(string, "standard")
  })

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$", var.tenant.slug))
    error_message = "tenant.slug must be 3 to 63 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. \"acme\")."
  }
  validation {
    condition     = length(trimspace(var.tenant.display_name)) >= 1 && length(trimspace(var.tenant.display_name)) <= 200
    error_message = "tenant.display_name must hold 1 to 200 characters besides surrounding spaces."
  }
  validation {
    condition     = contains(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"], var.tenant.region)
    error_message = "tenant.region must be one of us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-2, ap-northeast-1."
  }
  validation {
    condition     = contains(["A", "B", "C"], var.tenant.deployment_mode)
    error_message = "tenant.deployment_mode must be \"A\" (Claresia-hosted Hub), \"B\" (dedicated Hub with a customer-managed key) or \"C\" (BYOC: your own Hub endpoint over mutual TLS)."
  }
  validation {
    condition     = length(var.tenant.billing_contact) <= 254 && can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.tenant.billing_contact))
    error_message = "tenant.billing_contact must be an email address (at most 254 characters), e.g. billing@acme.example."
  }
  validation {
    condition     = contains(["standard", "premium", "enterprise"], var.tenant.support_tier)
    error_message = "tenant.support_tier must be standard, premium or enterprise."
  }
}

variable "sso" {
  description = "Single sign-on (runbook step 4); null for none. SAML takes metadata_url or metadata_xml, or else all of idp_sso_url, idp_certificate and idp_entity_id. OIDC takes discovery_url and client_id, with the secret in `sso_client_secret`; bump client_secret_version to send a new secret."
  type = object({
    protocol              = string
    name                  = optional(string, "Single sign-on")
    metadata_url          = optional(string)
    metadata_xml          = optional(string)
    idp_sso_url           = optional(string)
    idp_certificate       = optional(string)
    idp_entity_id         = optional(string)
    discovery_url         = optional(string)
    client_id             = optional(string)
    client_secret_version = optional(number, 1)
  })
  default = null

  validation {
    condition     = var.sso == null ? true : contains(["saml", "oidc"], var.sso.protocol)
    error_message = "sso.protocol must be \"saml\" or \"oidc\"."
  }
  validation {
    condition     = var.sso == null ? true : length(trimspace(var.sso.name)) >= 1 && length(trimspace(var.sso.name)) <= 200
    error_message = "sso.name must hold 1 to 200 characters besides surrounding spaces."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "saml" || (var.sso.discovery_url == null && var.sso.client_id == null)
    error_message = "sso.discovery_url and sso.client_id are OIDC settings; leave them out with protocol \"saml\"."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "oidc" || alltrue([for v in [var.sso.metadata_url, var.sso.metadata_xml, var.sso.idp_sso_url, var.sso.idp_certificate, var.sso.idp_entity_id] : v == null])
    error_message = "sso.metadata_url, metadata_xml, idp_sso_url, idp_certificate and idp_entity_id are SAML settings; leave them out with protocol \"oidc\"."
  }
  validation {
    condition     = var.sso == null ? true : !(var.sso.metadata_url != null && var.sso.metadata_xml != null)
    error_message = "sso: give metadata_url or metadata_xml, not both."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "saml" || (var.sso.metadata_url == null && var.sso.metadata_xml == null) || alltrue([for v in [var.sso.idp_sso_url, var.sso.idp_certificate, var.sso.idp_entity_id] : v == null])
    error_message = "sso.idp_sso_url, idp_certificate and idp_entity_id are read from the IdP metadata; leave them out when metadata_url or metadata_xml is given."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "saml" || var.sso.metadata_url != null || var.sso.metadata_xml != null || alltrue([for v in [var.sso.idp_sso_url, var.sso.idp_certificate, var.sso.idp_entity_id] : v != null])
    error_message = "sso with protocol \"saml\" needs metadata_url, or metadata_xml, or all three of idp_sso_url, idp_certificate and idp_entity_id."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.protocol != "oidc" || (var.sso.discovery_url != null && var.sso.client_id != null)
    error_message = "sso with protocol \"oidc\" needs discovery_url and client_id (and the secret in sso_client_secret)."
  }
  validation {
    condition     = var.sso == null ? true : alltrue([for u in [var.sso.metadata_url, var.sso.idp_sso_url, var.sso.discovery_url] : u == null ? true : can(regex("^https://[^/?#\\s]+[^\\s]*$", u))])
    error_message = "sso.metadata_url, idp_sso_url and discovery_url must be https:// URLs."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.idp_certificate == null ? true : length(regexall("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----", var.sso.idp_certificate)) == 1
    error_message = "sso.idp_certificate must hold exactly one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.idp_entity_id == null ? true : length(trimspace(var.sso.idp_entity_id)) >= 1 && length(var.sso.idp_entity_id) <= 1000
    error_message = "sso.idp_entity_id must hold 1 to 1000 characters."
  }
  validation {
    condition     = var.sso == null ? true : var.sso.client_id == null ? true : length(var.sso.client_id) >= 1 && length(var.sso.client_id) <= 500
    error_message = "sso.client_id must hold 1 to 500 characters."
  }
}

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

variable "scim" {
  description = "The SCIM 2.0 directory your IdP provisions users and groups into (runbook step 5); null for none. ip_allowlist holds the CIDRs allowed to call it (empty: any address)."
  type = object({
    idp          = string
    ip_allowlist = optional(set(string), [])
  })
  default = null

  validation {
    condition     = var.scim == null ? true : contains(["okta", "entra", "google", "onelogin", "jumpcloud", "keycloak"], var.scim.idp)
    error_message = "scim.idp must be one of okta, entra, google, onelogin, jumpcloud, keycloak."
  }
  validation {
    condition     = var.scim == null ? true : length(var.scim.ip_allowlist) <= 100
    error_message = "scim.ip_allowlist holds at most 100 CIDRs."
  }
  validation {
    # A CIDR whose network address equals its own address (normalised by cidrhost) has its host bits zero.
    condition = var.scim == null ? true : alltrue([
      for c in var.scim.ip_allowlist : can(regex("^[^/]+/[0-9]{1,3}$", c)) && !can(regex(":.*\\.", c)) && try(
        cidrhost(c, 0) == cidrhost("${split("/", c)[0]}/${strcontains(c, ":") ? 128 : 32}", 0), false
      )
    ])
    error_message = "scim.ip_allowlist entries must be CIDRs with their host bits zero, e.g. 203.0.113.0/24 or 2001:db8::/32 (not 203.0.113.7/24); IPv6 with an embedded IPv4 address is not accepted."
  }
}

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

variable "llm_connectors" {
  description = "LLM platform connectors (runbook step 6), any number, by a key of your choosing. The credential of each is the entry of the same key in `llm_credentials`; bump credential_version to send a new one."
  type = map(object({
    platform           = string
    name               = string
    base_url           = optional(string)
    credential_version = optional(number, 1)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for c in values(var.llm_connectors) : contains(["claude", "copilot", "chatgpt", "slack"], c.platform)])
    error_message = "llm_connectors: platform must be one of claude, copilot, chatgpt, slack."
  }
  validation {
    condition     = alltrue([for c in values(var.llm_connectors) : length(trimspace(c.name)) >= 1 && length(trimspace(c.name)) <= 200])
    error_message = "llm_connectors: name must hold 1 to 200 characters besides surrounding spaces."
  }
  validation {
    condition     = alltrue([for c in values(var.llm_connectors) : c.base_url == null ? true : length(c.base_url) <= 2048 && can(regex("^https://[^/?#\\s]+[^?#\\s]*$", c.base_url))])
    error_message = "llm_connectors: base_url must be an https:// URL without a query or fragment (leave it out for the platform's public API)."
  }
}

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

variable "hub" {
  description = "The Hub (runbook step 7), in the tenant's deployment_mode. Mode B needs region (where the dedicated Hub and its customer-managed key live). Mode C needs mtls_endpoint_url (https, demanding a client certificate) and customer_ca_certificate (the PEM CA bundle, up to 10, that issued the endpoint's server certificate). create_timeout bounds how long apply waits for the Hub to be ready; in Mode C that includes the time your endpoint takes to trust the control plane's client certificate."
  type = object({
    region                  = optional(string)
    mtls_endpoint_url       = optional(string)
    customer_ca_certificate = optional(string)
    create_timeout          = optional(string, "20m")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.hub.region == null ? true : contains(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"], var.hub.region)
    error_message = "hub.region must be one of us-east-1, us-west-2, eu-west-1, eu-central-1, ap-southeast-2, ap-northeast-1."
  }
  validation {
    condition     = var.tenant.deployment_mode != "B" || var.hub.region != null
    error_message = "hub.region is required in Mode B: the region the dedicated Hub and its customer-managed key live in."
  }
  validation {
    condition     = var.tenant.deployment_mode == "C" || (var.hub.mtls_endpoint_url == null && var.hub.customer_ca_certificate == null)
    error_message = "hub.mtls_endpoint_url and hub.customer_ca_certificate are only used in Mode C (BYOC)."
  }
  validation {
    condition     = var.tenant.deployment_mode != "C" || (var.hub.mtls_endpoint_url != null && var.hub.customer_ca_certificate != null)
    error_message = "Mode C (BYOC) needs hub.mtls_endpoint_url and hub.customer_ca_certificate."
  }
  validation {
    condition     = var.hub.mtls_endpoint_url == null ? true : length(var.hub.mtls_endpoint_url) <= 2048 && can(regex("^https://[^/?#\\s]+[^\\s]*$", var.hub.mtls_endpoint_url))
    error_message = "hub.mtls_endpoint_url must be an https:// URL (your endpoint serves TLS and demands a client certificate)."
  }
  validation {
    condition = var.hub.customer_ca_certificate == null ? true : length(var.hub.customer_ca_certificate) <= 65536 && (
      length(regexall("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----", var.hub.customer_ca_certificate)) >= 1
      ) && (
      length(regexall("-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\\s]+-----END CERTIFICATE-----", var.hub.customer_ca_certificate)) <= 10
    )
    error_message = "hub.customer_ca_certificate must be PEM: 1 to 10 CA certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)."
  }
  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", var.hub.create_timeout))
    error_message = "hub.create_timeout must be a duration such as 30s, 20m or 1h30m."
  }
}

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
