// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * A connection to an LLM platform (Claude, Copilot, ChatGPT or Slack) that Claresia publishes skills to. The credential is write-only: it is encrypted at rest under the tenant key (the CMEK key in Mode B) and never returned. Each connector also has an ingest credential, the secret its platform reports skill invocations with, returned once. Create, and an update that sends credential or base_url, wait for the control plane's test of the credential (status connected) and fail, naming credential, when the platform refuses it; a platform that cannot be reached leaves it untested with a warning. Other updates (a new name) neither wait nor fail on a connector that is failed already.
 *
 * Import ID: `{id}` (the connector's id (llm_...), not its name), for example `llm_5d2c9e0a41b7f368`.
 */
export class LlmConnector extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:LlmConnector';

  /** An existing LlmConnector, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: LlmConnectorState, opts?: pulumi.CustomResourceOptions): LlmConnector {
    return new LlmConnector(name, state as LlmConnectorArgs, { ...opts, id });
  }

  /** True when obj is a LlmConnector, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is LlmConnector {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === LlmConnector.__pulumiType;
  }

  /**
   * The LLM platform. Changing it replaces the resource.
   */
  declare public readonly platform: pulumi.Output<"claude" | "copilot" | "chatgpt" | "slack">;
  /**
   * Name shown in the portal.
   */
  declare public readonly name: pulumi.Output<string>;
  /**
   * The platform API's base URL; defaults to the platform's public API (https://api.anthropic.com, https://api.github.com, https://api.openai.com, https://slack.com), and goes back to it when removed. Must be https.
   */
  declare public readonly baseUrl: pulumi.Output<string | undefined>;
  /**
   * untested until its test runs (the control plane tests a connector by itself after create and after a credential or base_url change; POST .../{id}:test runs one now), then connected or failed; a platform that cannot answer a test keeps a connected connector connected; a publish the platform refuses (401, 403) makes it failed.
   */
  declare public readonly status: pulumi.Output<string | undefined>;
  /**
   * Why the last test or publish failed (error code and message); null when connected.
   */
  declare public readonly statusReason: pulumi.Output<string | undefined>;
  /**
   * When the credential was last tested (RFC 3339).
   */
  declare public readonly lastTestedAt: pulumi.Output<string | undefined>;
  /**
   * When the skill grants the platform last accepted were read (RFC 3339): every change made before this time reached the platform.
   */
  declare public readonly lastPublishAt: pulumi.Output<string | undefined>;
  /**
   * The platform's answer to the last publish that failed (HTTP status and error code, never its free text); null once a publish succeeds. A 401 or 403 also sets status to failed.
   */
  declare public readonly lastPublishError: pulumi.Output<string | undefined>;
  /**
   * When that publish failed (RFC 3339); null once a publish succeeds.
   */
  declare public readonly lastPublishErrorAt: pulumi.Output<string | undefined>;
  /**
   * The secret the platform sends skill invocations with (Authorization: Bearer on POST /api/v1/telemetry/events); it speaks for this connector only. Returned at creation and at POST /api/v1/llm/connectors/{id}/ingest-credential:rotate only, stored hashed. Terraform and Pulumi never rotate it. A rotation outside them shows the new credential to its caller only, and the old one stops working at once: the next refresh sees ingest_credential_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of keeping a dead credential. The working credential is the one that rotation returned; Terraform or Pulumi hold one again only by creating the connector again (replace), which gives it a new id and withdraws its skills from the platform until the new connector is tested and publishes.
   */
  declare public readonly ingestCredential: pulumi.Output<string | undefined>;
  /**
   * When the current ingest credential was issued (RFC 3339); null for a connector made before ingest credentials existed, which has none until rotated.
   */
  declare public readonly ingestCredentialRotatedAt: pulumi.Output<string | undefined>;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: LlmConnectorArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: LlmConnectorArgs | LlmConnectorState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as LlmConnectorState | undefined;
      inputs['platform'] = state?.platform;
      inputs['name'] = state?.name;
      inputs['baseUrl'] = state?.baseUrl;
      inputs['status'] = state?.status;
      inputs['statusReason'] = state?.statusReason;
      inputs['lastTestedAt'] = state?.lastTestedAt;
      inputs['lastPublishAt'] = state?.lastPublishAt;
      inputs['lastPublishError'] = state?.lastPublishError;
      inputs['lastPublishErrorAt'] = state?.lastPublishErrorAt;
      inputs['ingestCredential'] = state?.ingestCredential;
      inputs['ingestCredentialRotatedAt'] = state?.ingestCredentialRotatedAt;
      inputs['createdAt'] = state?.createdAt;
    } else {
      const args = argsOrState as LlmConnectorArgs | undefined;
      if (args?.platform === undefined && !opts.urn) throw new Error("Missing required property 'platform'");
      if (args?.name === undefined && !opts.urn) throw new Error("Missing required property 'name'");
      if (args?.credential === undefined && !opts.urn) throw new Error("Missing required property 'credential'");
      inputs['platform'] = args?.platform;
      inputs['name'] = args?.name;
      inputs['credential'] = args?.credential !== undefined ? pulumi.secret(args.credential) : undefined;
      inputs['baseUrl'] = args?.baseUrl;
      inputs['status'] = undefined;
      inputs['statusReason'] = undefined;
      inputs['lastTestedAt'] = undefined;
      inputs['lastPublishAt'] = undefined;
      inputs['lastPublishError'] = undefined;
      inputs['lastPublishErrorAt'] = undefined;
      inputs['ingestCredential'] = undefined;
      inputs['ingestCredentialRotatedAt'] = undefined;
      inputs['createdAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    opts = pulumi.mergeOptions(opts, { additionalSecretOutputs: ['ingestCredential'] });
    super(LlmConnector.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a LlmConnector. */
export interface LlmConnectorArgs {
  /**
   * The LLM platform. Changing it replaces the resource.
   */
  platform: pulumi.Input<"claude" | "copilot" | "chatgpt" | "slack">;
  /**
   * Name shown in the portal.
   */
  name: pulumi.Input<string>;
  /**
   * The platform credential (API key, admin key or bot token). Write-only: never returned; changing it re-encrypts it and resets status to untested until the automatic test runs. Write-only: sent to the API, never read back.
   */
  credential: pulumi.Input<string>;
  /**
   * The platform API's base URL; defaults to the platform's public API (https://api.anthropic.com, https://api.github.com, https://api.openai.com, https://slack.com), and goes back to it when removed. Must be https.
   */
  baseUrl?: pulumi.Input<string>;
}

/** What `LlmConnector.get` may be given to narrow a lookup. */
export interface LlmConnectorState {
  /**
   * The LLM platform. Changing it replaces the resource.
   */
  platform?: pulumi.Input<"claude" | "copilot" | "chatgpt" | "slack">;
  /**
   * Name shown in the portal.
   */
  name?: pulumi.Input<string>;
  /**
   * The platform API's base URL; defaults to the platform's public API (https://api.anthropic.com, https://api.github.com, https://api.openai.com, https://slack.com), and goes back to it when removed. Must be https.
   */
  baseUrl?: pulumi.Input<string>;
  /**
   * untested until its test runs (the control plane tests a connector by itself after create and after a credential or base_url change; POST .../{id}:test runs one now), then connected or failed; a platform that cannot answer a test keeps a connected connector connected; a publish the platform refuses (401, 403) makes it failed.
   */
  status?: pulumi.Input<string>;
  /**
   * Why the last test or publish failed (error code and message); null when connected.
   */
  statusReason?: pulumi.Input<string>;
  /**
   * When the credential was last tested (RFC 3339).
   */
  lastTestedAt?: pulumi.Input<string>;
  /**
   * When the skill grants the platform last accepted were read (RFC 3339): every change made before this time reached the platform.
   */
  lastPublishAt?: pulumi.Input<string>;
  /**
   * The platform's answer to the last publish that failed (HTTP status and error code, never its free text); null once a publish succeeds. A 401 or 403 also sets status to failed.
   */
  lastPublishError?: pulumi.Input<string>;
  /**
   * When that publish failed (RFC 3339); null once a publish succeeds.
   */
  lastPublishErrorAt?: pulumi.Input<string>;
  /**
   * The secret the platform sends skill invocations with (Authorization: Bearer on POST /api/v1/telemetry/events); it speaks for this connector only. Returned at creation and at POST /api/v1/llm/connectors/{id}/ingest-credential:rotate only, stored hashed. Terraform and Pulumi never rotate it. A rotation outside them shows the new credential to its caller only, and the old one stops working at once: the next refresh sees ingest_credential_rotated_at move, sets this to null and warns, so that whatever the configuration passes it to plans a change instead of keeping a dead credential. The working credential is the one that rotation returned; Terraform or Pulumi hold one again only by creating the connector again (replace), which gives it a new id and withdraws its skills from the platform until the new connector is tested and publishes.
   */
  ingestCredential?: pulumi.Input<string>;
  /**
   * When the current ingest credential was issued (RFC 3339); null for a connector made before ingest credentials existed, which has none until rotated.
   */
  ingestCredentialRotatedAt?: pulumi.Input<string>;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
}
