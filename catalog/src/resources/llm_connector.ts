import type { ResourceDef } from '../types.js';

/** Each platform's public API, where a connector points unless it names a gateway. */
export const LLM_DEFAULT_BASE_URLS = {
  claude: 'https://api.anthropic.com',
  copilot: 'https://api.github.com',
  chatgpt: 'https://api.openai.com',
  slack: 'https://slack.com',
} as const;

export const llmConnector: ResourceDef = {
  name: 'llm_connector',
  title: 'LlmConnector',
  description:
    'A connection to an LLM platform (Claude, Copilot, ChatGPT or Slack) that Claresia publishes skills to. ' +
    'The credential is write-only: it is encrypted at rest under the tenant key (the CMEK key in Mode B) and never returned. ' +
    'Each connector also has an ingest credential, the secret its platform reports skill invocations with, returned once. ' +
    "Create, and an update that sends credential or base_url, wait for the control plane's test of the credential (status " +
    'connected) and fail, naming credential, when the platform refuses it; a platform that cannot be reached leaves it untested ' +
    'with a warning. Other updates (a new name) neither wait nor fail on a connector that is failed already.',
  auth: 'tenant',
  schemaVersion: 1,
  idAttribute: 'id',
  api: {
    create: { method: 'POST', path: '/api/v1/llm/connectors' },
    read: { method: 'GET', path: '/api/v1/llm/connectors/{id}' },
    update: { method: 'PATCH', path: '/api/v1/llm/connectors/{id}' },
    delete: { method: 'DELETE', path: '/api/v1/llm/connectors/{id}' },
    list: { method: 'GET', path: '/api/v1/llm/connectors' },
  },
  importId: { format: '{id}', example: 'llm_5d2c9e0a41b7f368', idPrefix: 'llm', what: "the connector's id (llm_...), not its name" },
  // The control plane tests a connector by itself after create and after a new credential or
  // base_url: an apply that sets either waits for that test, so a credential the platform refuses
  // fails the apply that sent it. Anything else (a new name) cannot change the verdict, so it
  // neither waits nor fails on a connector that is failed already; a new credential fixes it.
  async: {
    attribute: 'status',
    pending: ['untested'],
    ready: ['connected'],
    failed: ['failed'],
    reasonAttribute: 'status_reason',
    updateWaitsOn: ['credential', 'base_url'],
    fixableInPlace: true,
    reasonInputs: { invalid_credential: 'credential', insufficient_scope: 'credential', platform_rejected_request: 'base_url', platform_unreachable: 'base_url' },
    // How the control plane's automatic test says it got no verdict and retries (llm/auto-test.ts).
    inconclusiveReasonPrefix: 'waiting: ',
  },
  attributes: {
    id: { type: 'string', mode: 'computed', description: 'Connector id.' },
    platform: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      enum: Object.keys(LLM_DEFAULT_BASE_URLS),
      description: 'The LLM platform.',
      example: 'claude',
    },
    name: {
      type: 'string',
      mode: 'required',
      minLength: 1,
      maxLength: 200,
      normalize: 'trim',
      description: 'Name shown in the portal.',
      example: 'Claude Enterprise',
    },
    credential: {
      type: 'string',
      mode: 'required',
      writeOnly: true,
      sensitive: true,
      minLength: 8,
      maxLength: 4096,
      description:
        "The platform credential (API key, admin key or bot token). Write-only: never returned; changing it re-encrypts it and resets status to untested until the automatic test runs.",
    },
    base_url: {
      type: 'string',
      mode: 'optional_computed',
      format: 'outbound-url',
      maxLength: 2048,
      defaultBy: { attribute: 'platform', values: LLM_DEFAULT_BASE_URLS },
      description:
        "The platform API's base URL; defaults to the platform's public API (https://api.anthropic.com, https://api.github.com, https://api.openai.com, https://slack.com), and goes back to it when removed. Must be https.",
      example: 'https://api.anthropic.com',
    },
    status: {
      type: 'string',
      mode: 'computed',
      derivedFrom: ['base_url', 'credential'],
      description: 'untested until its test runs (the control plane tests a connector by itself after create and after a credential or base_url change; POST .../{id}:test runs one now), then connected or failed; a platform that cannot answer a test keeps a connected connector connected; a publish the platform refuses (401, 403) makes it failed.',
    },
    status_reason: { type: 'string', mode: 'computed', derivedFrom: ['base_url', 'credential'], description: 'Why the last test or publish failed (error code and message); null when connected.' },
    last_tested_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When the credential was last tested (RFC 3339).' },
    last_publish_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description: 'When the skill grants the platform last accepted were read (RFC 3339): every change made before this time reached the platform.',
    },
    last_publish_error: {
      type: 'string',
      mode: 'computed',
      description:
        "The platform's answer to the last publish that failed (HTTP status and error code, never its free text); null once a publish succeeds. A 401 or 403 also sets status to failed.",
    },
    last_publish_error_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'When that publish failed (RFC 3339); null once a publish succeeds.' },
    ingest_credential: {
      type: 'string',
      mode: 'computed',
      sensitive: true,
      returnedOnce: true,
      rotation: {
        rotatedAt: 'ingest_credential_rotated_at',
        path: '/api/v1/llm/connectors/{id}/ingest-credential:rotate',
        replacing: "the new connector has a new id, and deleting this one withdraws its skills from the platform until the new one is tested and publishes",
      },
      description:
        'The secret the platform sends skill invocations with (Authorization: Bearer on POST /api/v1/telemetry/events); it speaks for this connector only. ' +
        'Returned at creation and at POST /api/v1/llm/connectors/{id}/ingest-credential:rotate only, stored hashed. Terraform and Pulumi never rotate it. ' +
        'A rotation outside them shows the new credential to its caller only, and the old one stops working at once: the next refresh sees ' +
        'ingest_credential_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of ' +
        'keeping a dead credential. The working credential is the one that rotation returned; Terraform or Pulumi hold one again only by creating the ' +
        'connector again (replace), which gives it a new id and withdraws its skills from the platform until the new connector is tested and publishes.',
    },
    ingest_credential_rotated_at: {
      type: 'string',
      mode: 'computed',
      format: 'date-time',
      description: 'When the current ingest credential was issued (RFC 3339); null for a connector made before ingest credentials existed, which has none until rotated.',
    },
    created_at: { type: 'string', mode: 'computed', format: 'date-time', description: 'Creation time (RFC 3339).' },
  },
  terraformExample: `resource "claresia_llm_connector" "claude" {
  platform   = "claude"
  name       = "Claude Enterprise"
  credential = var.anthropic_admin_key
}`,
};
