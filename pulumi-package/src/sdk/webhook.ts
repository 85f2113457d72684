// Generated from the Claresia resource catalog by `npm run generate -w @claresia/pulumi`; do not edit by hand.
import * as pulumi from '@pulumi/pulumi';
import { resourceOptsDefaults } from '../options.js';

/**
 * An HTTPS endpoint that receives user lifecycle events as JSON POSTs: `{id, type, created_at, data}`. Each delivery carries `X-Claresia-Event-Id` (the same for every retry: receivers deduplicate on it) and `X-Claresia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the secret>`; reject a timestamp older than a few minutes to stop replays. When `secret_overlap_seconds` is above 0, the header carries a second `v1` for that long after the secret changes (the first under the new secret, the second under the one it replaced): a receiver must then accept the delivery when any `v1` matches the secret it holds, not read only the first or the last. Any answer other than a 2xx, a timeout or a network error is retried with exponential backoff (capped at one hour) for up to 24 hours after the event, then the delivery is marked failed; 410 Gone fails the delivery at once (the webhook stays active). Deliveries are listed at GET /api/v1/webhooks/{id}/deliveries, and one is sent again, with the same event id, by POST /api/v1/webhooks/{id}/deliveries/{delivery_id}:retry (every failed one of a time range by POST /api/v1/webhooks/{id}/deliveries:retry, 500 a call, continued with `after`).
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
  declare public readonly events: pulumi.Output<("user.created" | "user.updated" | "user.deactivated" | "user.archetype_assigned" | "user.skill_entitlement_changed")[]>;
  /**
   * How long, in seconds (at most 604800, 7 days), a replaced secret keeps signing deliveries beside the new one after `secret` changes, as a second `v1` in the signature header, so receivers can move to the new secret at any time within that window. 0 switches at once and keeps one `v1`: the default, because receivers that read a single `v1` reject a two-`v1` header, and what a leaked secret calls for (send 0 with the new secret). A receiver that has not switched yet answers non-2xx, and those deliveries are retried for 24 hours. Lowering it while a replaced secret still signs ends that overlap no later than the new value from now (0: at once). Defaults to 0.
   */
  declare public readonly secretOverlapSeconds: pulumi.Output<number>;
  /**
   * While a replaced secret still signs deliveries beside the current one, when it stops (RFC 3339); null when only the current secret signs.
   */
  declare public readonly previousSecretExpiresAt: pulumi.Output<string | undefined>;
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
      inputs['secretOverlapSeconds'] = state?.secretOverlapSeconds;
      inputs['previousSecretExpiresAt'] = state?.previousSecretExpiresAt;
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
      inputs['secretOverlapSeconds'] = args?.secretOverlapSeconds;
      inputs['status'] = args?.status;
      inputs['previousSecretExpiresAt'] = undefined;
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
   * The HMAC-SHA256 signing key, 16 to 256 characters. Write-only: encrypted at rest and never returned. It is chosen by the caller rather than generated, because a generated value would have to be returned, and so kept in state. When it changes, deliveries are signed with the new secret from then on, and also with the replaced one for `secret_overlap_seconds`. Write-only: sent to the API, never read back.
   */
  secret: pulumi.Input<string>;
  /**
   * How long, in seconds (at most 604800, 7 days), a replaced secret keeps signing deliveries beside the new one after `secret` changes, as a second `v1` in the signature header, so receivers can move to the new secret at any time within that window. 0 switches at once and keeps one `v1`: the default, because receivers that read a single `v1` reject a two-`v1` header, and what a leaked secret calls for (send 0 with the new secret). A receiver that has not switched yet answers non-2xx, and those deliveries are retried for 24 hours. Lowering it while a replaced secret still signs ends that overlap no later than the new value from now (0: at once). Defaults to 0.
   */
  secretOverlapSeconds?: pulumi.Input<number>;
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
   * How long, in seconds (at most 604800, 7 days), a replaced secret keeps signing deliveries beside the new one after `secret` changes, as a second `v1` in the signature header, so receivers can move to the new secret at any time within that window. 0 switches at once and keeps one `v1`: the default, because receivers that read a single `v1` reject a two-`v1` header, and what a leaked secret calls for (send 0 with the new secret). A receiver that has not switched yet answers non-2xx, and those deliveries are retried for 24 hours. Lowering it while a replaced secret still signs ends that overlap no later than the new value from now (0: at once). Defaults to 0.
   */
  secretOverlapSeconds?: pulumi.Input<number>;
  /**
   * While a replaced secret still signs deliveries beside the current one, when it stops (RFC 3339); null when only the current secret signs.
   */
  previousSecretExpiresAt?: pulumi.Input<string>;
  /**
   * active, or disabled: a disabled webhook gets no new deliveries (pending retries still run). Defaults to "active".
   */
  status?: pulumi.Input<"active" | "disabled">;
  /**
   * Creation time (RFC 3339).
   */
  createdAt?: pulumi.Input<string>;
}
