export { ClaresiaClient, type ClientOptions, type RequestOptions, type Response } from './client.js';
export { BatchReader } from './batch.js';
export { ClaresiaApiError, ClaresiaNetworkError, ClaresiaConfigError, TOKEN_REFUSAL_CAUSES } from './errors.js';
export { parseRetryAfter, backoffDelay, isRetryableStatus, type BackoffPolicy } from './retry.js';
