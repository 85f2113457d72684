import { PROVIDER_NAME, resourceByName, type ResourceDef } from '@claresia/catalog';
import type { Queryable } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { hashSecret } from '../crypto/secrets.js';
import { ApiError } from './errors.js';

export type CredentialKind = 'client_secret' | 'scim_bearer_token' | 'ingest_credential';

interface CredentialStore {
  table: string;
  /** Where the hash of the current value is. */
  column: string;
  /** The answer's field that carries the secret, for the message. */
  field: string;
  object: string;
  /** Set when the object is revoked rather than deleted (its row stays). */
  revokedColumn?: string;
  /** What happened to the object when its row is gone or revoked. */
  gone: string;
  /** Where the object's credential is rotated (`{id}`: the object's id). */
  rotate: string;
  /** The catalog resource Terraform and Pulumi manage the object as, if they do. */
  resource?: ResourceDef;
}

const scimDirectory = resourceByName('scim_directory');
const llmConnector = resourceByName('llm_connector');
const tenant = resourceByName('tenant');

/**
 * The credentials an answer hands out once (a create's or a rotation's), and where the hash of
 * each one's current value is kept (every one is stored as `hashSecret` of it). An Idempotency-Key
 * replay of such an answer (http/idempotency.ts) hands the secret out again only while it is still
 * that current value: a later rotation, a deletion or an offboarding makes the stored answer a
 * dead secret that a client would keep without a word.
 */
const KINDS: Readonly<Record<CredentialKind, CredentialStore>> = {
  client_secret: {
    table: 'service_accounts',
    column: 'secret_hash',
    field: 'client_secret',
    object: 'service account',
    revokedColumn: 'revoked_at',
    gone: 'deleted, or its tenant offboarded',
    rotate: '/api/v1/service-accounts/{id}/secret:rotate',
  },
  scim_bearer_token: { table: 'scim_directories', column: 'token_hash', field: 'bearer_token', object: 'SCIM directory', gone: 'deleted', rotate: `${scimDirectory.api.read.path}/token:rotate`, resource: scimDirectory },
  ingest_credential: {
    table: 'llm_connectors',
    column: 'ingest_credential_hash',
    field: 'ingest_credential',
    object: 'LLM connector',
    gone: 'deleted',
    rotate: `${llmConnector.api.read.path}/ingest-credential:rotate`,
    resource: llmConnector,
  },
};

/**
 * What identifies the credential an answer carried, kept beside the sealed answer: the hash the
 * credential's own table stores for it (of 256 random bits, so it reveals nothing), never the secret.
 */
export interface IssuedCredential {
  kind: CredentialKind;
  tenantId: string;
  id: string;
  hash: string;
  /**
   * Set when the answer was a create's, for the refusal's wording only: 'object' when the request
   * created the credential's object, 'tenant' when it created tenant `tenantId` with it. Absent on
   * a rotation's, and on records of releases before it, which then read as a rotation's.
   */
  created?: 'object' | 'tenant';
}

/** Answer bodies a handler marked, read by `remember` from the same object the router hands it. */
const issued = new WeakMap<object, IssuedCredential>();

/**
 * Marks an answer body as carrying `secret`, a credential of object `id` just issued, so that a
 * replay of this answer checks the credential is still the object's current one. Returns the body.
 */
export function markIssued<T extends object>(
  body: T,
  credential: { kind: CredentialKind; tenantId: string; id: string; secret: string; created?: IssuedCredential['created'] },
): T {
  const { secret, ...which } = credential;
  issued.set(body, { ...which, hash: hashSecret(secret) });
  return body;
}

/** The credential a handler marked on this body, as stored in the idempotency record (null: none). */
export function issuedCredentialOf(body: unknown): string | null {
  const c = body !== null && typeof body === 'object' ? issued.get(body) : undefined;
  return c ? JSON.stringify(c) : null;
}

/**
 * Throws 409 request_already_completed unless the credential a stored answer carried is still
 * its object's current one. A credential in the overlap a later rotation gave it counts as
 * replaced: it still opens the door, but only until an end someone else chose (0 after a leak),
 * and the client retrying would store it as its current secret and learn otherwise only when it
 * stops working. Rotating again gives it one that is current.
 *
 * `db` is the replay's transaction: the row is read FOR SHARE, so a rotation in flight (its new
 * hash written, not yet committed) is waited for and its hash read once it commits, instead of
 * the old secret being handed out as it dies. One row, and no deadlock: before this read the
 * replay holds only its key's advisory lock, and whoever writes the row (a rotation, a deletion,
 * an offboarding) takes the advisory lock of its own key, if any, before the row, never after.
 */
export async function checkStillCurrent(db: Queryable, stored: string): Promise<void> {
  const c = JSON.parse(stored) as IssuedCredential;
  // A kind a newer release wrote during a rolling upgrade: this one replays as it always did.
  if (!Object.hasOwn(KINDS, c.kind)) return;
  const k = KINDS[c.kind];
  const query = new TenantScope(db, c.tenantId).table(k.table).where({ id: c.id });
  if (k.revokedColumn) query.whereNull(k.revokedColumn);
  const row = (await query.forShare().first(k.column)) as Record<string, string | null> | undefined;
  if (row && row[k.column] === c.hash) return;
  throw new ApiError(409, 'request_already_completed', await refusal(db, c, k, !!row), 'Idempotency-Key');
}

/**
 * The refusal's words. A create's names what it made and says what its caller does next: the
 * Terraform and Pulumi providers send a fresh key on every create, so the next apply would make a
 * second object (or, for a tenant, fail on its slug); the one made exists and is adopted by
 * import, and its secret, lost with the answer, is had again by rotating it. A rotation's says
 * which request to send: neither provider ever rotates a credential (a returned-once secret stays
 * in their state as the create gave it), so no plan or apply would get a current one.
 */
async function refusal(db: Queryable, c: IssuedCredential, k: CredentialStore, exists: boolean): Promise<string> {
  const done = 'so that answer is not given again and nothing was done';
  if (!c.created) {
    const said = `a request with this Idempotency-Key already completed, but the ${k.field} it issued for ${k.object} ${c.id} ${fate(exists, `the ${k.object} has since been ${k.gone}`)}, ${done}`;
    if (!exists) return said;
    const { request, managed } = await rotation(db, c, k);
    const again = `${said}. For a current ${k.field}, send the rotation again with a new Idempotency-Key: ${request}`;
    return managed ? `${again}. Terraform and Pulumi never rotate it, so no apply gets one, and the ${k.field} in their state is the one issued at creation, replaced since` : again;
  }
  // A tenant's first account is revoked by its offboarding, but also by a tenant_admin deleting it.
  const tenantLive = c.created === 'tenant' && !exists && !!(await db('tenants').where({ id: c.tenantId }).whereNot('status', 'offboarded').first('id'));
  const gone = fate(exists, c.created === 'object' ? `the ${k.object} has since been ${k.gone}` : tenantLive ? `the ${k.object} has since been deleted` : 'the tenant has since been offboarded');
  const first =
    c.created === 'tenant'
      ? `it created tenant ${c.tenantId}, but the ${k.field} it issued for its ${k.object} ${c.id} ${gone}`
      : `it created ${k.object} ${c.id}, but the ${k.field} it issued ${gone}`;
  const said = `a request with this Idempotency-Key already completed: ${first}, ${done}.`;
  if (!exists && !tenantLive) return `${said} Create it again if it is still wanted (Terraform and Pulumi do on the next apply)`;
  if (c.created === 'object') {
    return `${said} The ${k.object} ${c.id} exists: ${adopt(k.resource, c.id)}rotate its ${k.field} (POST ${k.rotate.replace('{id}', c.id)}) to get a current one`;
  }
  const next = exists ? `rotate its ${k.field} (${TENANT_ROTATE.replace('{id}', c.tenantId)}) to get a current one` : 'sign in with another of its service accounts';
  return `${said} The tenant ${c.tenantId} exists: ${adopt(tenant, c.tenantId)}${next}`;
}

/** What became of the credential a stored answer carried: `gone` says how, when its object is. */
function fate(exists: boolean, gone: string): string {
  return exists ? 'has since been replaced by a later rotation' : `no longer works: ${gone}`;
}

/** The operator's rotation of a tenant's own client_secret (its first service account's). */
const TENANT_ROTATE = `POST ${tenant.api.read.path}/client-secret:rotate`;

/**
 * The rotation that gives the credential a current value, and whether Terraform and Pulumi
 * manage the object it belongs to. The secret of a tenant's first service account (the tenant
 * resource's client_secret) is rotated by a tenant_admin or by the operator, at two paths; the
 * refused request was one of them, so both are named.
 */
async function rotation(db: Queryable, c: IssuedCredential, k: CredentialStore): Promise<{ request: string; managed: boolean }> {
  const own = `POST ${k.rotate.replace('{id}', c.id)}`;
  if (c.kind !== 'client_secret') return { request: own, managed: !!k.resource };
  const first = (await new TenantScope(db, c.tenantId).table('service_accounts').orderBy('created_at').first('id')) as { id: string } | undefined;
  if (first?.id !== c.id) return { request: own, managed: false };
  return { request: `${own} (a tenant_admin) or ${TENANT_ROTATE.replace('{id}', c.tenantId)} (the operator)`, managed: true };
}

/** How a Terraform or Pulumi user takes over an existing object instead of creating another, then a clause follows. */
function adopt(def: ResourceDef | undefined, id: string): string {
  if (!def) return '';
  const importId = def.importId.format.replace('{id}', id);
  return `adopt it rather than create another (terraform import ${PROVIDER_NAME}_${def.name}.<name> ${importId}, or pulumi import ${PROVIDER_NAME}:index:${def.title} <name> ${importId}), then `;
}
