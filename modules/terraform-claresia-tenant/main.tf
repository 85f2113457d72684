# Runbook steps 3 to 9 in one module call (and the SCIM groups' role mappings). The tenant is created with the operator token (the
# default `claresia` provider); everything inside it goes through `claresia.tenant`, which the
# caller configures from this module's client_id and client_secret outputs.

resource "claresia_tenant" "this" {
  slug            = var.tenant.slug
  display_name    = var.tenant.display_name
  region          = var.tenant.region
  deployment_mode = var.tenant.deployment_mode
  billing_contact = var.tenant.billing_contact
  support_tier    = var.tenant.support_tier
}

resource "claresia_sso_connection" "this" {
  count    = var.sso == null ? 0 : 1
  provider = claresia.tenant

  name            = var.sso.name
  protocol        = var.sso.protocol
  metadata_url    = var.sso.metadata_url
  metadata_xml    = var.sso.metadata_xml
  idp_sso_url     = var.sso.idp_sso_url
  idp_certificate = var.sso.idp_certificate
  idp_entity_id   = var.sso.idp_entity_id
  discovery_url   = var.sso.discovery_url
  client_id       = var.sso.client_id
  client_secret   = var.sso_client_secret
  # Only OIDC has a secret; a version without one would plan a perpetual difference.
  client_secret_wo_version = var.sso.protocol == "oidc" ? var.sso.client_secret_version : null

  # Its provider signs in as the tenant, which Terraform does not see as a reference: without
  # this, a replaced tenant (new slug, region or mode) would be planned alone, and the new
  # tenant left without this object until a second apply.
  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id]
  }
}

resource "claresia_scim_directory" "this" {
  count    = var.scim == null ? 0 : 1
  provider = claresia.tenant

  idp          = var.scim.idp
  ip_allowlist = var.scim.ip_allowlist

  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id] # see claresia_sso_connection
  }
}

resource "claresia_group_mapping" "this" {
  for_each = var.group_mappings
  provider = claresia.tenant

  group     = each.key
  role      = each.value.role
  archetype = each.value.archetype

  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id] # see claresia_sso_connection
  }
}

resource "claresia_llm_connector" "this" {
  for_each = var.llm_connectors
  provider = claresia.tenant

  platform              = each.value.platform
  name                  = each.value.name
  base_url              = each.value.base_url
  credential            = var.llm_credentials[each.key]
  credential_wo_version = each.value.credential_version

  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id] # see claresia_sso_connection
  }
}

resource "claresia_hub" "this" {
  provider = claresia.tenant

  mode                    = var.tenant.deployment_mode
  region                  = var.hub.region
  mtls_endpoint_url       = var.hub.mtls_endpoint_url
  customer_ca_certificate = var.hub.customer_ca_certificate
  wait_for_ready          = var.hub.wait_for_ready
  timeouts                = { create = var.hub.create_timeout }

  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id] # see claresia_sso_connection
  }
}

# hub.wait_for_ready = false: the Hub is created without waiting for it to turn ready (in Mode C,
# for the endpoint to trust control_plane_client_certificate, which a trust store fed from this
# module's outputs installs in the same apply). The wait happens here instead, after
# var.hub_ready_after: a data source that depends on a resource with changes pending is read
# during apply, once they are made; later plans read it at once, the Hub being ready.
resource "terraform_data" "hub_ready_after" {
  count = var.hub.wait_for_ready ? 0 : 1
  input = var.hub_ready_after
}

data "claresia_hub_ready" "this" {
  count      = var.hub.wait_for_ready ? 0 : 1
  provider   = claresia.tenant
  id         = claresia_hub.this.id
  depends_on = [terraform_data.hub_ready_after]
}

resource "claresia_cowork" "this" {
  for_each = var.cowork_packs
  provider = claresia.tenant

  pack           = each.key
  blocked_skills = each.value.blocked_skills

  lifecycle {
    replace_triggered_by = [claresia_tenant.this.id] # see claresia_sso_connection
  }
}

# Read after everything above exists: the tenant's provider is not configured until the tenant is.
data "claresia_tenant_health" "this" {
  provider = claresia.tenant
  depends_on = [
    claresia_sso_connection.this,
    claresia_scim_directory.this,
    claresia_group_mapping.this,
    claresia_llm_connector.this,
    claresia_hub.this,
    data.claresia_hub_ready.this,
    claresia_cowork.this,
  ]
}
