/**
 * The shape of a catalog entry. Everything that describes a resource to the outside world
 * (request validation, OpenAPI, Terraform and Pulumi schemas, docs) is derived from these
 * declarations, so they carry every fact those layers need and nothing server-specific.
 */

export type ScalarType = 'string' | 'number' | 'integer' | 'boolean';

export type AttrType =
  | ScalarType
  | { list: AttrType }
  | { set: AttrType }
  | { map: AttrType }
  | { object: Record<string, Attribute> };

/**
 * - required: the caller must supply it.
 * - optional: the caller may supply it; absent means null.
 * - optional_computed: the caller may supply it; otherwise the API picks a value (a default).
 * - computed: only the API sets it.
 */
export type AttrMode = 'required' | 'optional' | 'optional_computed' | 'computed';

export type AttrFormat = 'email' | 'uri' | 'https-uri' | 'date-time' | 'uuid' | 'cidr' | 'pem-certificate' | 'pem-ca-bundle' | 'skill-id' | 'rbac-group' | 'outbound-url';

export interface Attribute {
  type: AttrType;
  mode: AttrMode;
  description: string;
  /** Masked in plans and logs, a Pulumi secret. */
  sensitive?: boolean;
  /** Accepted on input, never returned by the API, never kept in Terraform state. */
  writeOnly?: boolean;
  /** Returned once (at create or rotation) and never again; clients keep the first value. */
  returnedOnce?: boolean;
  /** For a returnedOnce value the API can replace: how clients tell that it was (see rotation.ts). */
  rotation?: Rotation;
  /** Cannot change after creation: the API rejects a change, IaC tools replace the resource. */
  forceNew?: boolean;
  enum?: readonly string[];
  pattern?: string;
  format?: AttrFormat;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  /** Fewest elements (entries of a map) a collection may have. */
  minItems?: number;
  maxItems?: number;
  /** The value the API picks when an optional_computed attribute is absent. */
  default?: unknown;
  /**
   * The value the API picks when an optional_computed attribute is absent, by the value of
   * another attribute (an LLM connector's base URL by its platform). Lets a client plan the
   * removal of the attribute as going back to that value, not as keeping the last one.
   */
  defaultBy?: { attribute: string; values: Readonly<Record<string, unknown>> };
  /**
   * How the API normalises the value before it stores it. Clients apply the same rule to
   * the configured value so that a plan after apply is empty.
   */
  normalize?: 'lowercase' | 'trim' | 'sorted_set';
  /**
   * Inputs the API derives this value from (a computed value, or an optional_computed one
   * left out of the configuration): an update that changes one of them can change this
   * value too, so clients plan it as not known until the update answers.
   */
  derivedFrom?: readonly string[];
  /** Shown in docs and used by generated examples. */
  example?: unknown;
}

/**
 * How a value returned once is replaced outside the IaC tools, which never rotate it: the value
 * they hold is dead (or dying) once `rotatedAt` differs from what it was when they got the value.
 */
export interface Rotation {
  /** The computed attribute holding when the current value was issued. */
  rotatedAt: string;
  /** The computed attribute holding when a replaced value stops working, where the API keeps one for a while. */
  previousExpiresAt?: string;
  /** The POST path that rotates it (`{id}` is the resource id), the only place a new value is shown. */
  path: string;
  /** What creating the object again (the only way an IaC tool gets a new value) costs, beyond a new id. */
  replacing: string;
}

/**
 * What a rule's condition asks of one attribute: one of these values (compared as the API
 * stores them), or merely set / not set.
 */
export type RuleTest = readonly string[] | 'set' | 'unset';

/** Every entry must hold (an AND); an attribute whose value is not known yet makes it undecided. */
export type RuleCondition = Readonly<Record<string, RuleTest>>;

/**
 * A rule that spans attributes, which one attribute's own constraints cannot say. `message`
 * is the API's and the IaC tools' error text; `{attribute}` stands for the offending attribute.
 * - required_when: each of `attributes` must be set when `when` holds.
 * - forbidden_when: none of `attributes` may be set when `when` holds.
 * - conflicts_with: none of `attributes` may be set when any of `with` is.
 */
export type ResourceRule =
  | { kind: 'required_when'; attributes: readonly string[]; when: RuleCondition; message: string }
  | { kind: 'forbidden_when'; attributes: readonly string[]; when: RuleCondition; message: string }
  | { kind: 'conflicts_with'; attributes: readonly string[]; with: readonly string[]; message: string };

export interface ApiOperation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template; `{id}` is the resource id. */
  path: string;
}

export interface AsyncStatus {
  attribute: string;
  pending: readonly string[];
  ready: readonly string[];
  failed: readonly string[];
  /**
   * The attribute that says what a pending object waits for, or why it failed: clients quote it
   * when a wait ends badly, since the status alone does not tell the user what to do.
   */
  reasonAttribute?: string;
  /**
   * Attributes worth quoting next to the reason (what the user must act on, such as the
   * fingerprint of a certificate to install), when the object has them.
   */
  reasonContext?: readonly string[];
  /**
   * The inputs whose change makes an update wait (create always waits). Absent: every update
   * waits. An update that changes none of them neither waits nor fails on a failed status: a
   * new name says nothing about whether an LLM connector's credential works.
   */
  updateWaitsOn?: readonly string[];
  /**
   * Whether a failed object is fixed in place, by a new value of an `updateWaitsOn` input (a
   * connector whose credential the platform refused takes another one), where a failed Hub can
   * only be replaced. Clients then do not report a failure again while nothing that could fix it
   * changed, and never leave the object to be replaced: Pulumi keeps a failed create in state, to
   * be fixed by an update; Terraform, which taints (and would replace) any object whose create
   * failed, deletes it again, so that apply changes nothing.
   */
  fixableInPlace?: boolean;
  /**
   * The input a reason is about, by the code it begins with (`invalid_credential: ...` is about
   * the credential), for reasons that do not name the input themselves; clients point their
   * diagnostic at it.
   */
  reasonInputs?: Readonly<Record<string, string>>;
  /**
   * A pending object whose reason begins with this is held up by something a wait cannot hurry
   * and that says nothing about its inputs (an LLM platform the control plane cannot reach, which
   * it retries for hours): the wait ends there, with a warning quoting the reason, rather than
   * block the apply until its timeout.
   */
  inconclusiveReasonPrefix?: string;
  /**
   * For an object whose pending reasons are not all alike: only a reason that begins with one of
   * these prefixes ends the wait, as inconclusiveReasonPrefix does, and the warning points at the
   * input given with it. A Mode C Hub waits while its endpoint does not trust the client
   * certificate yet (the user installs it meanwhile), but an endpoint that cannot be reached at
   * all (a host that does not resolve, a refused connection) is for the user to fix: waiting the
   * timeout out would only hide the reason, which the control plane knew from its first attempt.
   */
  inconclusiveReasons?: readonly { prefix: string; input: string }[];
  /**
   * An argument of the IaC tools only, never sent to the API: false makes create (and update)
   * return as soon as the API has answered, with the object still pending, for a setup where
   * something downstream of the object's outputs is what makes it ready.
   */
  waitArgument?: { name: string; description: string };
}

/** How `terraform import` and `pulumi import` name an existing object. */
export interface ImportId {
  /** `{attribute}` placeholders, e.g. `{id}`. */
  format: string;
  example: string;
  /**
   * What the ID is, for the error an ID of the wrong shape gets ("the tenant's id (tnt_...), not
   * its slug"); with `idPrefix`, an `{id}` that lacks the prefix is refused before any API call.
   */
  what?: string;
  /** The prefix of ids the API mints for this resource (`tnt` for tnt_3f9a...). */
  idPrefix?: string;
}

export interface ResourceDef {
  /** snake_case catalog key: `tenant` gives `claresia_tenant` and `claresia:index:Tenant`. */
  name: string;
  /** PascalCase name for Pulumi classes and OpenAPI components. */
  title: string;
  description: string;
  /** Which credential manages it. */
  auth: 'operator' | 'tenant';
  /** Bumped whenever a stored shape changes; IaC state upgrades key off it. */
  schemaVersion: number;
  /** The attribute that identifies an instance in API paths and IaC state. */
  idAttribute: string;
  api: {
    create: ApiOperation;
    read: ApiOperation;
    update?: ApiOperation;
    delete?: ApiOperation;
    /** Lists instances; with `?id=a&id=b` answers many ids in one round trip. */
    list?: ApiOperation;
  };
  importId: ImportId;
  /** Present when creation finishes in the background and clients poll for readiness. */
  async?: AsyncStatus;
  /**
   * When the API also answers reads for objects nobody manages through this resource (an
   * archetype's skill set that comes from the packs), the attribute value that marks a managed
   * one. Any other answer counts as gone: a refresh plans a create, an import finds nothing.
   */
  managedWhen?: { attribute: string; equals: string };
  attributes: Record<string, Attribute>;
  /** Rules over several inputs, checked by the API and at plan/preview by the IaC tools. */
  rules?: readonly ResourceRule[];
  /** A Terraform configuration used in docs and examples. */
  terraformExample: string;
}

export interface DataSourceDef {
  name: string;
  title: string;
  description: string;
  auth: 'operator' | 'tenant';
  api: { read: ApiOperation };
  /** Arguments are the non-computed attributes; the rest is returned. */
  attributes: Record<string, Attribute>;
  /**
   * A read that waits: api.read is polled until the object's status is ready (the answer) or
   * failed (an error quoting its reason), for at most `timeoutArgument` seconds. That argument
   * bounds the wait only and is not sent to the API.
   */
  waitsFor?: { async: AsyncStatus; timeoutArgument: string };
  terraformExample: string;
}
