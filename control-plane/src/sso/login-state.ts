import type { CacheProvider, CacheItem } from '@node-saml/node-saml';
import type { KeyRing } from '../crypto/keys.js';
import type { TenantScope } from '../db/tenant-scope.js';

/** How long a started test login may take before its answer is refused. */
export const LOGIN_TTL_MS = 10 * 60 * 1000;

const TABLE = 'sso_login_states';

/** An admin's test of the connection, or a user signing in to get a user JWT. */
export type LoginPurpose = 'test' | 'login';

export interface LoginState {
  id: string;
  connection_id: string;
  protocol: string;
  purpose: LoginPurpose;
  created_at: Date;
  expires_at: Date;
  secrets?: Record<string, string>;
}

/**
 * Test logins in flight, kept in PostgreSQL so that the replica that receives the IdP's
 * answer need not be the one that started the login. Each row is usable once.
 */
export class LoginStates {
  /** Purposes of the SAML request ids node-saml looked up while validating a response. */
  private readonly seen = new Map<string, LoginPurpose>();
  /** SAML request ids whose row this instance deleted: the one answer allowed to use each. */
  private readonly consumed = new Set<string>();

  constructor(
    private readonly scope: TenantScope,
    private readonly keys: KeyRing,
    private readonly connectionId: string,
    private readonly protocol: 'saml' | 'oidc',
    /** What logins started through this instance are for. */
    private readonly purpose: LoginPurpose = 'test',
  ) {}

  /**
   * Uses up the state of the SAML login a response was just validated against, and returns its
   * purpose; undefined when another answer to the same request got there first. node-saml
   * deletes the state itself only when the assertion's SubjectConfirmationData names the
   * request too, so it is deleted here otherwise; getAsync's lock makes the delete this
   * transaction's alone.
   */
  async consumeSaml(id: string): Promise<LoginPurpose | undefined> {
    if (!this.consumed.has(id) && this.seen.has(id)) {
      const n = await this.scope.table(TABLE).where({ id, connection_id: this.connectionId, protocol: this.protocol }).delete();
      if (n) this.consumed.add(id);
    }
    return this.consumed.has(id) ? this.seen.get(id) : undefined;
  }

  async save(id: string, secrets?: Record<string, string>, createdAt = new Date()): Promise<Date> {
    // Logins that were never completed are cleared as new ones start. One that an answer holds
    // locked is left to a later start: waiting for it here, while a sign-in start holds its
    // connection, could deadlock with that answer, which locks the connection next.
    const stale = this.scope.table(TABLE).where('expires_at', '<=', new Date()).select('id').forUpdate().skipLocked();
    await this.scope.table(TABLE).whereIn('id', stale).delete();
    const expires = new Date(createdAt.getTime() + LOGIN_TTL_MS);
    const purpose = `sso_login_state:${id}`;
    await this.scope.insert(TABLE, {
      id,
      connection_id: this.connectionId,
      protocol: this.protocol,
      purpose: this.purpose,
      secrets_enc: secrets ? await this.keys.encryptForTenant(this.scope.db, this.scope.tenantId, JSON.stringify(secrets), purpose) : null,
      created_at: createdAt,
      expires_at: expires,
    });
    return expires;
  }

  /** The live state with this id for this connection; removed as it is read, so it cannot be replayed. */
  async take(id: string): Promise<LoginState | undefined> {
    const row = await this.scope.table(TABLE).where({ id, connection_id: this.connectionId, protocol: this.protocol }).forUpdate().first();
    if (!row) return undefined;
    await this.scope.table(TABLE).where({ id }).delete();
    if (new Date(row.expires_at) <= new Date()) return undefined;
    const secrets = row.secrets_enc
      ? (JSON.parse(await this.keys.decryptForTenant(this.scope.db, this.scope.tenantId, row.secrets_enc, `sso_login_state:${id}`)) as Record<string, string>)
      : undefined;
    return { id: row.id, connection_id: row.connection_id, protocol: row.protocol, purpose: row.purpose, created_at: new Date(row.created_at), expires_at: new Date(row.expires_at), ...(secrets ? { secrets } : {}) };
  }

  /** node-saml's request-id cache (for InResponseTo), backed by the table above. */
  samlCache(): CacheProvider {
    return {
      saveAsync: async (key: string, value: string): Promise<CacheItem | null> => {
        const created = new Date(value);
        await this.save(key, undefined, Number.isNaN(created.getTime()) ? new Date() : created);
        return { value, createdAt: created.getTime() };
      },
      getAsync: async (key: string): Promise<string | null> => {
        // The lock makes a concurrent answer to the same request wait until this one commits
        // (then it finds the row gone) instead of validating against a row about to disappear.
        const row = await this.scope.table(TABLE).where({ id: key, connection_id: this.connectionId, protocol: this.protocol }).forUpdate().first();
        if (!row || new Date(row.expires_at) <= new Date()) return null;
        this.seen.set(key, row.purpose);
        return new Date(row.created_at).toISOString();
      },
      removeAsync: async (key: string | null): Promise<string | null> => {
        if (!key) return null;
        const n = await this.scope.table(TABLE).where({ id: key, connection_id: this.connectionId }).delete();
        // node-saml ignores what this returns, so the caller asks consumeSaml instead.
        if (n) this.consumed.add(key);
        return n ? key : null;
      },
    };
  }
}
