import { ClaresiaApiError, ClaresiaConfigError, ClaresiaNetworkError, TOKEN_REFUSAL_CAUSES } from '@claresia/client';
import { Severity } from './proto/tfplugin6.js';

/**
 * An attribute name, a list index, or a key of a map (or of an object-typed attribute's
 * value): Terraform finds the configuration line of a path only when a step into a value is
 * a key, not an attribute name, which it takes for a nested block.
 */
export type PathStep = string | number | { key: string };

export interface Diagnostic {
  severity: number;
  summary: string;
  detail?: string;
  attribute?: { steps: Array<Record<string, unknown>> };
}

export function attributePath(path: PathStep[]) {
  return {
    steps: path.map((s) => (typeof s === 'number' ? { element_key_int: s } : typeof s === 'object' ? { element_key_string: s.key } : { attribute_name: s })),
  };
}

export function error(summary: string, detail?: string, path?: PathStep[]): Diagnostic {
  return { severity: Severity.ERROR, summary, detail, ...(path && path.length ? { attribute: attributePath(path) } : {}) };
}

export function warning(summary: string, detail?: string, path?: PathStep[]): Diagnostic {
  return { severity: Severity.WARNING, summary, detail, ...(path && path.length ? { attribute: attributePath(path) } : {}) };
}

/**
 * A failure as Terraform shows it. API errors that name a field point at that attribute when
 * the resource has it. Messages come from the client's errors, which never hold secrets.
 */
export function fromError(err: unknown, action: string, attributes?: Record<string, unknown>): Diagnostic {
  // The provider's own sign-in: its field names the provider's client_secret, never the
  // attribute of that name a resource may have (an OIDC connection's, a tenant's).
  if (err instanceof ClaresiaApiError && err.rejectsCredentials) return credentialsRejected(err);
  if (err instanceof ClaresiaApiError) {
    // The API names an element as `skills[1]` or a nested value as `a.b`: point at the attribute.
    const top = err.field ? /^[A-Za-z_][A-Za-z0-9_]*/.exec(err.field)?.[0] : undefined;
    const path = top && attributes && top in attributes ? [top] : undefined;
    return error(`${action}: ${err.apiMessage}`, err.message + (err.requestId ? ` [request ${err.requestId}]` : ''), path);
  }
  if (err instanceof ClaresiaNetworkError) return error(`${action}: the control plane did not answer`, err.message);
  if (err instanceof ClaresiaConfigError) return error('Provider configuration', err.message);
  return error(`${action}: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * The control plane refused the provider's client_id/client_secret. `where` says where they
 * were set, and `path` is the provider block attribute to point at when it was set there.
 */
export function credentialsRejected(err: ClaresiaApiError, where = 'the provider block or CLARESIA_CLIENT_ID / CLARESIA_CLIENT_SECRET', path?: PathStep[]): Diagnostic {
  return error(
    'Provider credentials rejected',
    `The control plane refused the provider's client_id/client_secret pair (from ${where}): ${err.message}. ` +
      "Use a tenant service account's client_id and the client_secret returned when it was created or last rotated.",
    path,
  );
}

/**
 * The control plane refused the provider's token at configure (401: unknown, expired, revoked,
 * or its tenant offboarded). `where` says where it was set, `path` points at the block's token.
 */
export function tokenRejected(err: ClaresiaApiError, where: string, path?: PathStep[]): Diagnostic {
  return error(
    'Provider credentials rejected',
    `The control plane refused the provider's token (from ${where}): ${err.apiMessage} (${err.status} from ${err.method} ${err.path}). ` +
      TOKEN_REFUSAL_CAUSES +
      "To manage a tenant's objects, give the provider client_id and client_secret (CLARESIA_CLIENT_ID and CLARESIA_CLIENT_SECRET) instead of a token: it signs in with them, and again whenever its token expires.",
    path,
  );
}
