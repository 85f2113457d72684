import type { Knex } from 'knex';
import type { AppContext } from '../context.js';
import type { Queryable, Tx } from '../db/connection.js';
import { TenantScope } from '../db/tenant-scope.js';
import { appendEvents, type StoredEvent } from '../audit/chain.js';
import { ScimError } from './errors.js';
import { emitScimChange, type ScimChange } from './hooks.js';

/** The directory a SCIM request authenticated as. */
export interface DirectoryRow {
  id: string;
  tenant_id: string;
  idp: string;
  ip_allowlist: string[] | string;
}

/**
 * One SCIM request's view of the data: every query goes through the tenant scope and is
 * further narrowed to the directory, so an IdP sees only what it provisioned.
 */
export class DirectoryScope {
  readonly scope: TenantScope;
  constructor(
    readonly app: AppContext,
    readonly db: Queryable,
    readonly directory: DirectoryRow,
    /** `<public url>/scim/v2/<directory id>` for meta.location and $ref. */
    readonly baseUrl: string,
  ) {
    this.scope = new TenantScope(db, directory.tenant_id);
  }

  get tenantId(): string {
    return this.directory.tenant_id;
  }
  get directoryId(): string {
    return this.directory.id;
  }
  get actor(): string {
    return `${this.directory.idp}:scim`;
  }

  table<T extends {} = any>(name: string): Knex.QueryBuilder<T> {
    const alias = name.split(/\s+as\s+/i).pop()!;
    return this.scope.table<T>(name).where(`${alias}.directory_id`, this.directory.id) as Knex.QueryBuilder<T>;
  }

  insert(name: string, rows: Record<string, unknown> | Record<string, unknown>[]) {
    const list = (Array.isArray(rows) ? rows : [rows]).map((r) => ({ ...r, directory_id: this.directory.id }));
    return this.scope.insert(name, list);
  }

  /**
   * Records a change everywhere it must go, in this transaction: the listeners of other
   * modules, then the signed governance event (last, so the per-tenant chain lock is held as
   * briefly as possible). The event is also what POST /api/v1/roster/scim:sync reports from.
   */
  async changed(change: ScimChangeOf, subjectId: string, event: ScimEvent): Promise<StoredEvent> {
    return (await this.changedAll([{ change, subjectId, event }]))[0]!;
  }

  /** Several changes of this directory, their events appended in one statement. */
  async changedAll(items: Array<{ change?: ScimChangeOf; subjectId: string; event: ScimEvent }>): Promise<StoredEvent[]> {
    const trx = this.db as Tx;
    // An item without a change is an event only: nothing other modules act on.
    for (const { change } of items) if (change) await emitScimChange(trx, { ...change, tenantId: this.tenantId, directoryId: this.directoryId, idp: this.directory.idp }, this.app.keys);
    return appendEvents(
      trx,
      this.app.keys,
      this.tenantId,
      items.map(({ subjectId, event }) => ({
        type: event.type,
        actor: this.actor,
        subject: subjectId,
        data: { directory_id: this.directoryId, idp: this.directory.idp, ...event.data },
      })),
    );
  }
}

type ScimChangeOf = Omit<ScimChange, 'tenantId' | 'directoryId' | 'idp'>;
type ScimEvent = { type: string; data: Record<string, unknown> };

/** jsonb comes back parsed from pg and PGlite alike, but be tolerant of text. */
export function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** Weak ETag of a resource version (RFC 7644 §3.14). */
export const etagOf = (version: number) => `W/"${version}"`;

/** If-Match (RFC 7644 §3.14): a stale version is refused with 412 and nothing changes. */
export function checkIfMatch(ifMatch: string | undefined, version: number): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(etagOf(version)) || tags.includes(`"${version}"`)) return;
  throw new ScimError(412, undefined, `If-Match ${ifMatch.slice(0, 100)} does not match the current version ${etagOf(version)}`);
}
