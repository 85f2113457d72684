terraform {
  # 1.11: write-only attributes keep LLM credentials and OIDC client secrets out of the state.
  required_version = ">= 1.11.0"

  required_providers {
    claresia = {
      source  = "claresia/claresia"
      version = ">= 0.1.0"
      # claresia: the operator token, which creates the tenant.
      # claresia.tenant: signed in as the tenant's service account (client_id/client_secret outputs).
      configuration_aliases = [claresia.tenant]
    }
  }
}
