// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * An HTTPS endpoint that receives user lifecycle events as JSON POSTs: `{id, type, created_at, data}`. Each delivery carries `X-Claresia-Event-Id` (the same for every retry: receivers deduplicate on it) and `X-Claresia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>`; reject a timestamp older than a few minutes to stop replays. The header may carry several `v1` values (for 24 hours after the secret changes, one under the new secret and one under the secret it replaced): accept the delivery when any `v1` matches the secret you hold. Any answer other than a 2xx, a timeout or a network error is retried with exponential backoff (capped at one hour) for up to 24 hours after the event, then the delivery is marked failed; 410 Gone fails the delivery at once (the webhook stays active). Deliveries are listed at GET /api/v1/webhooks/{id}/deliveries, and one is sent again, with the same event id, by POST /api/v1/webhooks/{id}/deliveries/{delivery_id}:retry (every failed one of a time range by POST /api/v1/webhooks/{id}/deliveries:retry).
 *
 * Import ID: `{id}` (the webhook's id (whk_...), not its URL), for example `whk_3f9a1c2b7d4e6058`.
 */
export class Webhook extends pulumi.CustomResource {
  /** @internal */
  public static readonly __pulumiType = 'claresia:index:Webhook';

  /** An existing Webhook, looked up by its id ({id}); `state` narrows the lookup. */
  public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: WebhookState, opts?: pulumi.CustomResourceOptions): Webhook {
    return new Webhook(name, state as WebhookArgs, { ...opts, id });
  }

  /** True when obj is a Webhook, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Webhook {
    return obj !== undefined && obj !== null && (obj as { __pulumiType?: string }).__pulumiType === Webhook.__pulumiType;
  }

  /**
   * Where events are POSTed. Must be https and resolve to a public address.
   */
  declare public readonly url: pulumi.Output<string>;
  /**
   * The event types to deliver, at least one of: user.created, user.updated, user.deactivated, user.archetype_assigned, user.skill_entitlement_changed.
   */
  declare public readonly events: pulumi.Output<"user.created" | "user.updated" | "user.deactivated" | "user.archetype_assigned" | "user.skill_entitlement_changed"[]>;
  /**
   * active, or disabled: a disabled webhook gets no new deliveries (pending retries still run). Defaults to "active".
   */
  declare public readonly status: pulumi.Output<"active" | "disabled">;
  /**
   * Creation time (RFC 3339).
   */
  declare public readonly createdAt: pulumi.Output<string | undefined>;

  constructor(name: string, args: WebhookArgs, opts?: pulumi.CustomResourceOptions);
  constructor(name: string, argsOrState?: WebhookArgs | WebhookState, opts?: pulumi.CustomResourceOptions) {
    const inputs: pulumi.Inputs = {};
    opts = opts || {};
    if (opts.id) {
      const state = argsOrState as WebhookState | undefined;
      inputs['url'] = state?.url;
      inputs['events'] = state?.events;
      inputs['status'] = state?.status;
      inputs['createdAt'] = state?.createdAt;
    } else {
      const args = argsOrState as WebhookArgs | undefined;
      if (args?.url === undefined && !opts.urn) throw new Error("Missing required property 'url'");
      if (args?.events === undefined && !opts.urn) throw new Error("Missing required property 'events'");
      if (args?.secret === undefined && !opts.urn) throw new Error("Missing required property 'secret'");
      inputs['url'] = args?.url;
      inputs['events'] = args?.events;
      inputs['secret'] = args?.secret !== undefined ? pulumi.secret(args.secret) : undefined;
      inputs['status'] = args?.status;
      inputs['createdAt'] = undefined;
    }
    opts = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    super(Webhook.__pulumiType, name, inputs, opts);
  }
}

/** The arguments of a Webhook. */
export interface WebhookArgs {
  /**
   * Where events are POSTed. Must be https and resolve to a public address.
   */
  url: pulumi.Input<string>;
  /**
   * The event types to deliver, at least one of: user.created, user.updated, user.deactivated, user.archetype_assigned, user.skill_entitlement_changed.
   */
  events: pulumi.Input<pulumi.Input<"user.created" | "user.updated" | "user.deactivated" | "user.archetype_assigned" | "user.skill_entitlement_changed">[]>;
  /**
   * The HMAC-SHA256 signing key, 16 to 256 characters. Write-only: encrypted at rest and never returned. It is chosen by the caller rather than generated, because a generated value would have to be returned, and so kept in state. When it changes, the secret it replaces keeps signing beside it for 24 hours (a second `v1` in the signature header), so receivers can move to the new secret at any time within that day. Write-only: sent to the API, never read back.
   */
  secret: pulumi.Input<string>;
  /**
   * active, or disabled: a disabled webhook gets no new deliveries (pending retries still run). Defaults to "active".
   */
  status?: pulumi.Input<"active" | "disabled">;
}

/** What `Webhook.get` may be given to narrow a lookup. */
export interface WebhookState {
  /**
   * Where events are POSTed. Must be https and resolve to a public address.
   */
  url?: pulumi.Input<string>;
  /**
   * The event types to deliver, at least one of: user.created, user.updated, user.deactivated, user.archetype_assigned, user.skill_entitlement_changed.
   */
  events?: pulumi.Input<pulumi.Input<"user.created" | "user.updated" | "user.deactivated" | "user.archetype_assigned" | "user.skill_entitlement_changed">[]>;
  /**
   * active, or disabled: a disabled webhook gets no new deliveries (pending retries still run). Defaults to "active".
   */
  status?: pulumi.Input<"active" | "disabled">;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
}
