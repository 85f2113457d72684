/** An error the API reports to its caller as `{"error": {code, message, field}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export const badRequest = (message: string, field?: string, code = 'invalid_request') => new ApiError(400, code, message, field);
export const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, 'authorization', { 'WWW-Authenticate': 'Bearer' });
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const notFound = (what: string, field?: string) => new ApiError(404, 'not_found', `${what} not found`, field);
/** A 404 that says in a sentence of its own why nothing is there and what to do, where "<what> not found" would not read. */
export const notFoundBecause = (message: string, field?: string) => new ApiError(404, 'not_found', message, field);
export const conflict = (message: string, field?: string) => new ApiError(409, 'conflict', message, field);
