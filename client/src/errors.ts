/**
 * Errors of the control-plane client. Messages name the method, path, status and the API's
 * own code, message and field; they never carry a header or a request body, so a token or a
 * secret cannot reach a log line or a Terraform diagnostic through them.
 */
/** Where client credentials are exchanged for a tenant JWT. */
export const TOKEN_PATH = '/api/v1/auth/token';
/** The caller's own identity: the cheapest request that proves a token. */
export const ME_PATH = '/api/v1/me';
/**
 * Why a token the control plane refused at ME_PATH (401) may have stopped working, for the
 * providers' configure errors (each then says, in its own settings, what to use instead).
 */
export const TOKEN_REFUSAL_CAUSES =
  'A tenant token (a JWT from POST /api/v1/auth/token) expires, after an hour unless the control plane sets CLARESIA_TOKEN_TTL_SECONDS otherwise, and stops working when it is revoked; ' +
  "an operator token must be the control plane's CLARESIA_OPERATOR_TOKEN. ";

export class ClaresiaApiError extends Error {
  override readonly name = 'ClaresiaApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    readonly field: string | undefined,
    readonly method: string,
    readonly path: string,
    readonly requestId?: string,
  ) {
    super(`${method} ${path}: ${status} ${code}: ${apiMessage}${field ? ` (field: ${field})` : ''}`);
  }

  get isNotFound() {
    return this.status === 404;
  }

  /**
   * The token exchange refused the client's own credentials: a problem of the caller's
   * configuration, not of the object a request was about.
   */
  get rejectsCredentials() {
    return this.path === TOKEN_PATH && this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** The request never got an answer: connection failure or timeout, after every retry. */
export class ClaresiaNetworkError extends Error {
  override readonly name = 'ClaresiaNetworkError';
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    readonly timedOut: boolean,
  ) {
    super(`${method} ${path}: ${message}`);
  }
}

/** Client misuse or missing configuration (no endpoint, no credentials). */
export class ClaresiaConfigError extends Error {
  override readonly name = 'ClaresiaConfigError';
}
