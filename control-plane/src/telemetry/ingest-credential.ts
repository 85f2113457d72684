import type { Request } from 'express';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/connection.js';
import { authenticate } from '../auth/tokens.js';
import { hashSecret, newSecret } from '../crypto/secrets.js';
import { ApiError, forbidden, unauthorized } from '../http/errors.js';
import { atLeast } from '../rbac/roles.js';

const PREFIX = 'ingest';

/**
 * What an ingest credential looks like (`newSecret`: the prefix and 32 random bytes in
 * base64url). Tenant JWTs carry dots and are never mistaken for one.
 */
const SHAPE = new RegExp(`^${PREFIX}_[A-Za-z0-9_-]{43}$`);

/** A fresh ingest credential: shown once, stored as its SHA-256 (256 random bits need no slow hash). */
export function newIngestCredential(): { credential: string; hash: string } {
  const credential = newSecret(PREFIX);
  return { credential, hash: hashSecret(credential) };
}

/**
 * Who sends an invocation: a platform with its connector's ingest credential, which speaks for
 * that one connector only, or a tenant_admin with a tenant JWT, who names the connector.
 */
export type TelemetryCaller =
  | { kind: 'connector'; tenantId: string; connectorId: string; actor: string }
  | { kind: 'tenant'; tenantId: string; connectorId?: undefined; actor: string };

const bearerOf = (header: string | undefined) => (header ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined);

/**
 * Authenticates the caller of POST /api/v1/telemetry/events. The router has no mode for a
 * connector's credential, so the route is declared unauthenticated and this runs first in its
 * handler, before the body is read: an unauthenticated caller learns nothing from validation.
 * A tenant token is judged exactly as the router would for a write (tenant_admin).
 */
export async function authenticateTelemetryCaller(app: AppContext, db: Queryable, req: Request): Promise<TelemetryCaller> {
  const header = req.header('authorization');
  const token = bearerOf(header);
  if (token !== undefined && SHAPE.test(token)) {
    const row = (await db('llm_connectors as c')
      .join('tenants as t', 't.id', 'c.tenant_id')
      .where('c.ingest_credential_hash', hashSecret(token))
      .first('c.id', 'c.tenant_id', 'c.platform', 't.status as tenant_status')) as
      | { id: string; tenant_id: string; platform: string; tenant_status: string }
      | undefined;
    if (!row) throw unauthorized('invalid ingest credential (it was rotated, or its connector removed)');
    // The platform may go on sending until someone removes the integration there.
    if (row.tenant_status === 'offboarded') throw unauthorized("this connector's tenant has been offboarded; remove the Claresia integration from the platform");
    return { kind: 'connector', tenantId: row.tenant_id, connectorId: row.id, actor: `${row.platform}:${row.id}` };
  }
  const p = await authenticate(app.db, app.keys, app.config.operatorToken, header);
  if (p.kind !== 'tenant') throw forbidden("this operation needs a connector's ingest credential or a tenant token from POST /api/v1/auth/token");
  if (!atLeast(p.role, 'tenant_admin')) throw forbidden(`this operation needs a connector's ingest credential or the tenant_admin role; this token has ${p.role}`);
  return { kind: 'tenant', tenantId: p.tenantId, actor: p.actor };
}

/**
 * The connector an invocation is recorded against: the credential's own, which a body may
 * repeat but not contradict; a tenant token must name one.
 */
export function connectorOf(caller: TelemetryCaller, bodyConnectorId: string | undefined): string {
  if (caller.kind === 'connector') {
    if (bodyConnectorId !== undefined && bodyConnectorId !== caller.connectorId) {
      throw new ApiError(
        400,
        'connector_mismatch',
        `connector_id ${bodyConnectorId} is not the connector this ingest credential belongs to (${caller.connectorId}); omit connector_id or send that connector's own credential`,
        'connector_id',
      );
    }
    return caller.connectorId;
  }
  if (bodyConnectorId === undefined) throw new ApiError(400, 'missing_field', 'connector_id is required with a tenant token (with an ingest credential it comes from the credential)', 'connector_id');
  return bodyConnectorId;
}
