# Plan-only runs with mock providers: every validation rule of variables*.tf rejects what the
# control-plane API would reject, and valid inputs in each mode plan. No API is called.
# Run with `terraform init && terraform test -filter=tests/validation.tftest.hcl`
# (test/modules/terraform-test.e2e.test.ts does).

mock_provider "claresia" {}

mock_provider "claresia" {
  alias = "tenant"
}

variables {
  tenant = {
    slug            = "acme"
    display_name    = "Acme Corp"
    region          = "eu-west-1"
    deployment_mode = "A"
    billing_contact = "billing@acme.example"
  }
  sso = {
    protocol     = "saml"
    metadata_url = "https://acme.okta.example/app/exk1/sso/saml/metadata"
  }
  scim            = { idp = "okta", ip_allowlist = ["203.0.113.0/24"] }
  group_mappings  = { claresia-sales-pilot = { role = "member", archetype = "sales" } }
  llm_connectors  = { claude = { platform = "claude", name = "Claude" } }
  llm_credentials = { claude = "sk-ant-admin01-0000000000" }
  cowork_packs    = { go-to-market = { blocked_skills = ["claresia.exec.web-research"] } }
}

# --- what plans ---

run "mode_a_plans" {
  command = plan
  assert {
    condition     = claresia_hub.this.mode == "A" && claresia_tenant.this.support_tier == "standard"
    error_message = "Mode A Hub and default support tier expected"
  }
  assert {
    condition     = length(claresia_llm_connector.this) == 1 && length(claresia_cowork.this) == 1 && length(claresia_scim_directory.this) == 1
    error_message = "one connector, one pack, one directory expected"
  }
  assert {
    condition     = claresia_group_mapping.this["claresia-sales-pilot"].archetype == "sales"
    error_message = "the sales pilot group mapping expected"
  }
  assert {
    condition     = claresia_sso_connection.this[0].client_secret_wo_version == null
    error_message = "SAML sends no client secret version"
  }
}

run "mode_b_plans_with_region" {
  command = plan
  variables {
    tenant = { slug = "globex", display_name = "Globex", region = "eu-central-1", deployment_mode = "B", billing_contact = "ap@globex.example", support_tier = "enterprise" }
    hub    = { region = "eu-central-1" }
  }
  assert {
    condition     = claresia_hub.this.mode == "B" && claresia_hub.this.region == "eu-central-1"
    error_message = "Mode B Hub in eu-central-1 expected"
  }
}

run "mode_c_plans_with_endpoint_and_ca" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "billing@initech.example" }
    hub = {
      mtls_endpoint_url = "https://hub.initech.example:8443/claresia"
      # A real CA certificate (valid to 2126): the provider checks the bundle at plan as the API does.
      customer_ca_certificate = <<-PEM
        -----BEGIN CERTIFICATE-----
        MIIBuDCCAV2gAwIBAgIURGYwUD4o1JUg80NjhI4EfF/fRZMwCgYIKoZIzj0EAwIw
        KDEmMCQGA1UEAwwdSW5pdGVjaCBIdWIgQ0EgKHRlc3QgZml4dHVyZSkwIBcNMjYx
        MjAxMjA0NjA5WhgPMjEyNjExMDcyMDQ2MDlaMCgxJjAkBgNVBAMMHUluaXRlY2gg
        SHViIENBICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
        761aAB6nkOxUqjtPMVFr0XN0a62QJPgxb525tjfm1SZGQK5U4EL/VQ3kXGHxXHt6
        ep+F9Wjnhn9T9ThjfnA1uqNjMGEwHQYDVR0OBBYEFHqDSeAjjnoJMttW5G7vgZjQ
        aTWmMB8GA1UdIwQYMBaAFHqDSeAjjnoJMttW5G7vgZjQaTWmMA8GA1UdEwEB/wQF
        MAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0kAMEYCIQCn+uMU1tuM
        RVzijSkRyNgjDP2/esIbtTMWLM7cP2OYeAIhAJOsGY1j0US8fg3F+fwPNnNNCJbp
        rCAjPZFQAZWYyk2q
        -----END CERTIFICATE-----
      PEM
      create_timeout          = "1h30m"
    }
  }
  assert {
    condition     = claresia_hub.this.mtls_endpoint_url == "https://hub.initech.example:8443/claresia"
    error_message = "Mode C endpoint expected"
  }
}

run "oidc_and_no_scim_plan" {
  command = plan
  variables {
    sso               = { protocol = "oidc", name = "Google", discovery_url = "https://accounts.google.com", client_id = "claresia-app", client_secret_version = 3 }
    sso_client_secret = "GOCSPX-client-secret"
    scim              = null
  }
  assert {
    condition     = claresia_sso_connection.this[0].client_secret_wo_version == 3 && length(claresia_scim_directory.this) == 0
    error_message = "OIDC with a secret version, and no SCIM directory, expected"
  }
}

# idp_certificate values are real self-signed certificates (test fixtures, valid to 2126): the
# provider parses each signing certificate at plan, as the API does.
run "saml_by_hand_and_ipv6_allowlist_plan" {
  command = plan
  variables {
    sso = {
      protocol        = "saml"
      idp_sso_url     = "https://idp.example/sso"
      idp_entity_id   = "https://idp.example"
      idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----"
    }
    scim = { idp = "entra", ip_allowlist = ["2001:DB8:0::/48", "10.0.0.0/8", "192.0.2.1/32"] }
  }
  assert {
    condition     = length(claresia_scim_directory.this[0].ip_allowlist) == 3
    error_message = "three CIDRs expected"
  }
}

run "no_sso_and_many_connectors_plan" {
  command = plan
  variables {
    sso = null
    llm_connectors = {
      claude  = { platform = "claude", name = "Claude" }
      copilot = { platform = "copilot", name = "Copilot", base_url = "https://ghe.acme.example/api/v3" }
      chatgpt = { platform = "chatgpt", name = "ChatGPT", credential_version = 2 }
      slack   = { platform = "slack", name = "Slack" }
    }
    llm_credentials = { claude = "sk-ant-0000000000", copilot = "ghp_000000000000", chatgpt = "sk-proj-00000000", slack = "xoxb-000000000000" }
  }
  assert {
    condition     = length(claresia_llm_connector.this) == 4 && length(claresia_sso_connection.this) == 0 && claresia_llm_connector.this["chatgpt"].credential_wo_version == 2
    error_message = "four connectors and no SSO expected"
  }
}

# --- tenant ---

run "slug_with_capitals" {
  command = plan
  variables { tenant = { slug = "Acme", display_name = "Acme", region = "eu-west-1", deployment_mode = "A", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "slug_too_short" {
  command = plan
  variables { tenant = { slug = "ac", display_name = "Acme", region = "eu-west-1", deployment_mode = "A", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "slug_ending_with_hyphen" {
  command = plan
  variables { tenant = { slug = "acme-", display_name = "Acme", region = "eu-west-1", deployment_mode = "A", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "blank_display_name" {
  command = plan
  variables { tenant = { slug = "acme", display_name = "   ", region = "eu-west-1", deployment_mode = "A", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "unknown_region" {
  command = plan
  variables { tenant = { slug = "acme", display_name = "Acme", region = "mars-north-1", deployment_mode = "A", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "unknown_deployment_mode" {
  command = plan
  variables { tenant = { slug = "acme", display_name = "Acme", region = "eu-west-1", deployment_mode = "D", billing_contact = "b@acme.example" } }
  expect_failures = [var.tenant]
}

run "billing_contact_not_an_email" {
  command = plan
  variables { tenant = { slug = "acme", display_name = "Acme", region = "eu-west-1", deployment_mode = "A", billing_contact = "billing at acme" } }
  expect_failures = [var.tenant]
}

run "unknown_support_tier" {
  command = plan
  variables { tenant = { slug = "acme", display_name = "Acme", region = "eu-west-1", deployment_mode = "A", billing_contact = "b@acme.example", support_tier = "gold" } }
  expect_failures = [var.tenant]
}

# --- sso ---

run "sso_unknown_protocol" {
  command = plan
  variables { sso = { protocol = "ldap", metadata_url = "https://idp.example/md" } }
  expect_failures = [var.sso]
}

run "sso_blank_name" {
  command = plan
  variables { sso = { protocol = "saml", name = "", metadata_url = "https://idp.example/md" } }
  expect_failures = [var.sso]
}

run "saml_with_oidc_field" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/md", client_id = "x" } }
  expect_failures = [var.sso]
}

run "oidc_with_saml_field" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x", metadata_url = "https://idp.example/md" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "saml_with_both_metadata_sources" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/md", metadata_xml = "<md:EntityDescriptor/>" } }
  expect_failures = [var.sso]
}

run "saml_metadata_with_manual_settings" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/md", idp_entity_id = "https://idp.example" } }
  expect_failures = [var.sso]
}

run "saml_manual_settings_incomplete" {
  command = plan
  variables { sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "https://idp.example" } }
  expect_failures = [var.sso]
}

run "oidc_without_client_id" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "sso_url_not_https" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "http://idp.example/md" } }
  expect_failures = [var.sso]
}

run "idp_certificate_not_pem" {
  command = plan
  variables {
    sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "https://idp.example", idp_certificate = "MIIBszCCAVmgAwIBAgIU" }
  }
  expect_failures = [var.sso]
}

# An IdP rolling its key over: the current and the next certificate, as the API takes (up to 4).
run "idp_certificate_rollover_bundle_plans" {
  command = plan
  variables {
    sso = {
      protocol        = "saml"
      idp_sso_url     = "https://idp.example/sso"
      idp_entity_id   = "https://idp.example"
      idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBrDCCAVGgAwIBAgIUDbAjxngBQhPtG2c9GTlF1TOoSXcwCgYIKoZIzj0EAwIw\nKjEoMCYGA1UEAwwfSWRQIG5leHQgc2lnbmluZyAodGVzdCBmaXh0dXJlKTAgFw0y\nNjEyMDIwMzI1MDVaGA8yMTI2MTEwODAzMjUwNVowKjEoMCYGA1UEAwwfSWRQIG5l\neHQgc2lnbmluZyAodGVzdCBmaXh0dXJlKTBZMBMGByqGSM49AgEGCCqGSM49AwEH\nA0IABFKLPvUq0NhektydjiVrS5J6lIIX4xYHC6yRTFZzL544uLJH3/tQkOlqhY+L\nQQFhgiGYWgs2/rCniM2Yz4g6d9SjUzBRMB0GA1UdDgQWBBSB4MDWrY0ebVwMVRsL\n++U/rMEzHzAfBgNVHSMEGDAWgBSB4MDWrY0ebVwMVRsL++U/rMEzHzAPBgNVHRMB\nAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDd5EXhkRIlfKglkTJVavLsxrto\nY4hKU0P94veaW6+WeQIhAMbbBebdMGFXjtiIE0O74hqzwhH9kal2+AWxRCL1BEXB\n-----END CERTIFICATE-----\n"
    }
  }
  assert {
    condition     = length(claresia_sso_connection.this) == 1
    error_message = "a two-certificate bundle plans"
  }
}

run "idp_certificate_five_certificates" {
  command = plan
  variables {
    sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "https://idp.example", idp_certificate = join("\n", [for i in range(5) : "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----"]) }
  }
  expect_failures = [var.sso]
}

# A good certificate does not carry a garbled one beside it (the API would refuse it at apply).
run "idp_certificate_bundle_with_a_garbled_block" {
  command = plan
  variables {
    sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "https://idp.example", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nnot a certificate!\n-----END CERTIFICATE-----" }
  }
  expect_failures = [var.sso]
}

run "idp_entity_id_too_long" {
  command = plan
  variables {
    sso = {
      protocol        = "saml"
      idp_sso_url     = "https://idp.example/sso"
      idp_entity_id   = join("", [for i in range(1001) : "x"])
      idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----"
    }
  }
  expect_failures = [var.sso]
}

run "oidc_client_id_too_long" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = join("", [for i in range(501) : "c"]) }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "sso_metadata_url_too_long" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/${format("%02000d", 0)}" } }
  expect_failures = [var.sso]
}

run "sso_metadata_xml_too_long" {
  command = plan
  variables { sso = { protocol = "saml", metadata_xml = format("%0524289d", 0) } }
  expect_failures = [var.sso]
}

run "sso_idp_sso_url_not_https" {
  command = plan
  variables { sso = { protocol = "saml", idp_sso_url = "http://idp.example/sso", idp_entity_id = "https://idp.example", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "idp_certificate_too_long" {
  command = plan
  variables { sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "https://idp.example", idp_certificate = "-----BEGIN CERTIFICATE-----\n${format("%016384d", 0)}\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "idp_entity_id_blank" {
  command = plan
  variables { sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_entity_id = "   ", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "sso_discovery_url_not_https" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "http://idp.example", client_id = "x" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "oidc_client_id_empty" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "oidc_without_discovery_url" {
  command = plan
  variables {
    sso               = { protocol = "oidc", client_id = "x" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "saml_with_discovery_url" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/md", discovery_url = "https://idp.example" } }
  expect_failures = [var.sso]
}

run "oidc_with_metadata_xml" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x", metadata_xml = "<md:EntityDescriptor/>" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "oidc_with_idp_sso_url" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x", idp_sso_url = "https://idp.example/sso" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "oidc_with_idp_certificate" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "oidc_with_idp_entity_id" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x", idp_entity_id = "https://idp.example" }
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso]
}

run "saml_metadata_xml_with_idp_certificate" {
  command = plan
  variables { sso = { protocol = "saml", metadata_xml = "<md:EntityDescriptor/>", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "saml_metadata_with_idp_sso_url" {
  command = plan
  variables { sso = { protocol = "saml", metadata_url = "https://idp.example/md", idp_sso_url = "https://idp.example/sso" } }
  expect_failures = [var.sso]
}

run "saml_manual_settings_without_sso_url" {
  command = plan
  variables { sso = { protocol = "saml", idp_entity_id = "https://idp.example", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "saml_manual_settings_without_entity_id" {
  command = plan
  variables { sso = { protocol = "saml", idp_sso_url = "https://idp.example/sso", idp_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" } }
  expect_failures = [var.sso]
}

run "oidc_without_secret" {
  command = plan
  variables { sso = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x" } }
  expect_failures = [var.sso_client_secret]
}

run "secret_with_saml" {
  command = plan
  variables {
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso_client_secret]
}

run "secret_empty" {
  command = plan
  variables {
    sso               = { protocol = "oidc", discovery_url = "https://idp.example", client_id = "x" }
    sso_client_secret = ""
  }
  expect_failures = [var.sso_client_secret]
}

run "secret_without_sso" {
  command = plan
  variables {
    sso               = null
    sso_client_secret = "secret"
  }
  expect_failures = [var.sso_client_secret]
}

# --- scim ---

run "scim_unknown_idp" {
  command = plan
  variables { scim = { idp = "azure" } }
  expect_failures = [var.scim]
}

run "scim_cidr_with_host_bits" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = ["203.0.113.7/24"] } }
  expect_failures = [var.scim]
}

run "scim_ipv6_cidr_with_host_bits" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = ["2001:db8::1/32"] } }
  expect_failures = [var.scim]
}

run "scim_address_without_prefix" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = ["203.0.113.0"] } }
  expect_failures = [var.scim]
}

run "scim_prefix_too_long" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = ["203.0.113.0/33"] } }
  expect_failures = [var.scim]
}

run "scim_ipv6_with_embedded_ipv4" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = ["::ffff:203.0.113.0/120"] } }
  expect_failures = [var.scim]
}

run "scim_too_many_cidrs" {
  command = plan
  variables { scim = { idp = "okta", ip_allowlist = [for i in range(101) : "10.${i}.0.0/16"] } }
  expect_failures = [var.scim]
}

# --- group mappings ---

run "group_outside_the_rbac_namespace" {
  command = plan
  variables { group_mappings = { sales = { role = "member" } } }
  expect_failures = [var.group_mappings]
}

run "group_twice_in_different_case" {
  command = plan
  variables { group_mappings = { claresia-Ops = { role = "member" }, claresia-ops = { role = "auditor" } } }
  expect_failures = [var.group_mappings]
}

run "group_mapped_by_default" {
  command = plan
  variables { group_mappings = { Claresia-Admins = { role = "tenant_admin" } } }
  expect_failures = [var.group_mappings]
}

run "group_unknown_role" {
  command = plan
  variables { group_mappings = { claresia-ops = { role = "owner" } } }
  expect_failures = [var.group_mappings]
}

run "group_unknown_archetype" {
  command = plan
  variables { group_mappings = { claresia-ops = { role = "member", archetype = "operations" } } }
  expect_failures = [var.group_mappings]
}

# --- llm connectors ---

run "connector_unknown_platform" {
  command = plan
  variables { llm_connectors = { claude = { platform = "gemini", name = "Gemini" } } }
  expect_failures = [var.llm_connectors]
}

run "connector_blank_name" {
  command = plan
  variables { llm_connectors = { claude = { platform = "claude", name = " " } } }
  expect_failures = [var.llm_connectors]
}

run "connector_base_url_not_https" {
  command = plan
  variables { llm_connectors = { claude = { platform = "claude", name = "Claude", base_url = "http://api.anthropic.com" } } }
  expect_failures = [var.llm_connectors]
}

run "connector_base_url_with_query" {
  command = plan
  variables { llm_connectors = { claude = { platform = "claude", name = "Claude", base_url = "https://api.anthropic.com/?x=1" } } }
  expect_failures = [var.llm_connectors]
}

run "credential_missing_for_a_connector" {
  command = plan
  variables {
    llm_connectors  = { claude = { platform = "claude", name = "Claude" }, slack = { platform = "slack", name = "Slack" } }
    llm_credentials = { claude = "sk-ant-0000000000" }
  }
  expect_failures = [var.llm_credentials]
}

run "credential_without_a_connector" {
  command = plan
  variables { llm_credentials = { claude = "sk-ant-0000000000", slack = "xoxb-000000000" } }
  expect_failures = [var.llm_credentials]
}

run "credential_too_short" {
  command = plan
  variables { llm_credentials = { claude = "short" } }
  expect_failures = [var.llm_credentials]
}

# --- hub ---

run "hub_unknown_region" {
  command = plan
  variables { hub = { region = "eu-west-9" } }
  expect_failures = [var.hub]
}

run "mode_b_without_region" {
  command = plan
  variables {
    tenant = { slug = "globex", display_name = "Globex", region = "eu-central-1", deployment_mode = "B", billing_contact = "ap@globex.example" }
    hub    = {}
  }
  expect_failures = [var.hub]
}

run "mode_a_with_mtls_endpoint" {
  command = plan
  variables { hub = { mtls_endpoint_url = "https://hub.acme.example/claresia" } }
  expect_failures = [var.hub]
}

run "mode_c_without_endpoint" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub    = { customer_ca_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" }
  }
  expect_failures = [var.hub]
}

run "mode_c_endpoint_not_https" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub    = { mtls_endpoint_url = "http://hub.initech.example/claresia", customer_ca_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" }
  }
  expect_failures = [var.hub]
}

run "mode_c_ca_not_pem" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub    = { mtls_endpoint_url = "https://hub.initech.example/claresia", customer_ca_certificate = "MIIBszCCAVmgAwIBAgIU" }
  }
  expect_failures = [var.hub]
}

run "mode_c_ca_bundle_too_large" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub = {
      mtls_endpoint_url       = "https://hub.initech.example/claresia"
      customer_ca_certificate = join("\n", [for i in range(11) : "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----"])
    }
  }
  expect_failures = [var.hub]
}

run "mode_b_with_ca_certificate" {
  command = plan
  variables {
    tenant = { slug = "globex", display_name = "Globex", region = "eu-central-1", deployment_mode = "B", billing_contact = "ap@globex.example" }
    hub    = { region = "eu-central-1", customer_ca_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" }
  }
  expect_failures = [var.hub]
}

run "mode_c_without_ca_certificate" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub    = { mtls_endpoint_url = "https://hub.initech.example/claresia" }
  }
  expect_failures = [var.hub]
}

run "mode_c_endpoint_too_long" {
  command = plan
  variables {
    tenant = { slug = "initech", display_name = "Initech", region = "us-east-1", deployment_mode = "C", billing_contact = "b@initech.example" }
    hub    = { mtls_endpoint_url = "https://hub.initech.example/${format("%02048d", 0)}", customer_ca_certificate = "-----BEGIN CERTIFICATE-----\nMIIBoTCCAUegAwIBAgIUKMLmUEAERdtFid7Li4xo44b2ylAwCgYIKoZIzj0EAwIw\nJTEjMCEGA1UEAwwaSWRQIHNpZ25pbmcgKHRlc3QgZml4dHVyZSkwIBcNMjYxMjAy\nMDMyNTA1WhgPMjEyNjExMDgwMzI1MDVaMCUxIzAhBgNVBAMMGklkUCBzaWduaW5n\nICh0ZXN0IGZpeHR1cmUpMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYMcUslvi\ne10IHiHe5IJDWDA9Dfl4g+VIZuKKyc1wZ9nNMngILMdTG20p3YWacYg5myrcfx3R\ny0xs4hR0v9oQrqNTMFEwHQYDVR0OBBYEFLSW21AaEPxN7jzfBEJkhcMbm9BKMB8G\nA1UdIwQYMBaAFLSW21AaEPxN7jzfBEJkhcMbm9BKMA8GA1UdEwEB/wQFMAMBAf8w\nCgYIKoZIzj0EAwIDSAAwRQIhAN4owCF99sMoTvjQXOKg02U/McMML16+gDYHaAje\nrgcBAiAs99UTyjWnSoiV4pYcQSdPYrxkR79XClRm+1YQgdc5Sg==\n-----END CERTIFICATE-----" }
  }
  expect_failures = [var.hub]
}

run "hub_timeout_not_a_duration" {
  command = plan
  variables { hub = { create_timeout = "20 minutes" } }
  expect_failures = [var.hub]
}

# --- cowork ---

run "pack_name_with_capitals" {
  command = plan
  variables { cowork_packs = { Starter = {} } }
  expect_failures = [var.cowork_packs]
}

run "blocked_skill_not_an_id" {
  command = plan
  variables { cowork_packs = { starter = { blocked_skills = ["Web Research"] } } }
  expect_failures = [var.cowork_packs]
}

run "too_many_blocked_skills" {
  command = plan
  variables { cowork_packs = { starter = { blocked_skills = [for i in range(201) : "claresia.x.s${i}"] } } }
  expect_failures = [var.cowork_packs]
}
