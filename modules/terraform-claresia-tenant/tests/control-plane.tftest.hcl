# Applies examples/basic with the real provider against a running control plane, checks what the
# module returns, and destroys it (terraform test destroys what its runs created). The empty
# re-plan after apply is checked by test/examples (terraform test cannot assert an empty plan). Needs
# CLARESIA_ENDPOINT and an operator CLARESIA_TOKEN in the environment, and TF_VAR_anthropic_api_key;
# test/modules/terraform-test.e2e.test.ts starts a control plane and runs
# `terraform test -filter=tests/control-plane.tftest.hcl`.

run "basic_tenant" {
  module {
    source = "./examples/basic"
  }

  assert {
    condition     = startswith(output.tenant_id, "tnt_")
    error_message = "tenant_id is not a tenant id: ${output.tenant_id}"
  }
  assert {
    condition     = output.hub_status == "ready"
    error_message = "apply returns once the Hub is ready; it is ${output.hub_status}"
  }
  assert {
    condition     = output.health.checks.hub.status == "green" && output.health.overall == "red"
    error_message = "health: the Hub check should be green, the tenant not yet (no roster, no smoke test)"
  }
  assert {
    condition     = output.cowork_packs["starter"].blocked_skills == toset(["claresia.core.translation"])
    error_message = "the starter pack should block claresia.core.translation"
  }
  assert {
    condition     = endswith(output.hub_endpoint, "/api/v1/hub") && strcontains(output.scim_endpoint_url, "/scim/v2/")
    error_message = "Hub endpoint and SCIM endpoint URL expected"
  }
}
