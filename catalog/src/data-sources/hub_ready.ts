import type { DataSourceDef } from '../types.js';
import { hub } from '../resources/hub.js';

const DEFAULT_TIMEOUT_SECONDS = 1200;

/**
 * The readiness gate of a Hub created with wait_for_ready = false, in the spirit of
 * aws_acm_certificate_validation: read after whatever makes the Hub ready (the endpoint's
 * trust store taking its client certificate), it answers once the Hub is ready.
 */
export const hubReady: DataSourceDef = {
  name: 'hub_ready',
  title: 'HubReady',
  description:
    'Waits until a Hub is ready and returns it: polls the Hub until its status is ready, fails with the reason when it is failed ' +
    'or still provisioning after timeout_seconds. Use it with a claresia_hub created with wait_for_ready = false, after what makes ' +
    "the Hub ready (in Mode C, the endpoint's trust store taking control_plane_client_certificate): give it depends_on on that, so " +
    'Terraform reads it during apply, once that exists. Once the Hub is ready, a read answers at once.',
  auth: 'tenant',
  api: { read: hub.api.read },
  waitsFor: { async: hub.async!, timeoutArgument: 'timeout_seconds' },
  attributes: {
    id: { type: 'string', mode: 'required', pattern: '^hub_[0-9a-f]+$', description: "The Hub's id (claresia_hub's id)." },
    timeout_seconds: {
      type: 'integer',
      mode: 'optional',
      minimum: 1,
      maximum: 86_400,
      default: DEFAULT_TIMEOUT_SECONDS,
      description: 'How long to wait for the Hub to be ready, in seconds.',
    },
    status: { ...hub.attributes.status!, derivedFrom: undefined, description: 'ready (the read fails otherwise).' },
    ready_at: { ...hub.attributes.ready_at!, derivedFrom: undefined },
    hub_key_id: hub.attributes.hub_key_id!,
    endpoint: { ...hub.attributes.endpoint!, derivedFrom: undefined },
    control_plane_client_certificate_sha256: hub.attributes.control_plane_client_certificate_sha256!,
    control_plane_client_certificate_not_after: hub.attributes.control_plane_client_certificate_not_after!,
    customer_ca_certificate_sha256: { ...hub.attributes.customer_ca_certificate_sha256!, derivedFrom: undefined },
  },
  terraformExample: `resource "claresia_hub" "byoc" {
  mode                    = "C"
  mtls_endpoint_url       = "https://hub.acme.example:8443/claresia"
  customer_ca_certificate = file("acme-hub-ca.pem")
  wait_for_ready          = false
}

# Your endpoint's trust store, fed from the Hub's output in the same apply.
resource "terraform_data" "endpoint_trust" {
  input = claresia_hub.byoc.control_plane_client_certificate
  provisioner "local-exec" {
    command = "install-client-ca \\"$CERT\\""
    environment = { CERT = self.input }
  }
}

data "claresia_hub_ready" "byoc" {
  id              = claresia_hub.byoc.id
  timeout_seconds = 1800
  depends_on      = [terraform_data.endpoint_trust]
}

output "hub_ready_at" {
  value = data.claresia_hub_ready.byoc.ready_at
}`,
};
