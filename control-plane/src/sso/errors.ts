import { ApiError, badRequest } from '../http/errors.js';
import { OutboundError } from '../net/guarded-fetch.js';

/** A failed test login: 400 with a code the runbook names and the field that carried the answer. */
export function loginFailed(code: string, message: string, field: string): ApiError {
  return new ApiError(400, code, message, field);
}

/** A URL the control plane refused to fetch or could not fetch, reported against its field. */
export function outboundProblem(err: unknown, field: string, what: string): ApiError {
  if (err instanceof OutboundError) {
    const code = err.reason === 'scheme_not_allowed' || err.reason === 'address_not_allowed' || err.reason === 'invalid_url' ? 'url_not_allowed' : 'fetch_failed';
    return badRequest(`${field} ${err.message}`, field, code);
  }
  return badRequest(`${field}: the ${what} could not be fetched`, field, 'fetch_failed');
}
