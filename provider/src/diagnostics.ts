import { ClaresiaApiError, ClaresiaConfigError, ClaresiaNetworkError } from '@claresia/client';
import { Severity } from './proto/tfplugin6.js';

export type PathStep = string | number;

export interface Diagnostic {
  severity: number;
  summary: string;
  detail?: string;
  attribute?: { steps: Array<Record<string, unknown>> };
}

export function attributePath(path: PathStep[]) {
  return {
    steps: path.map((s) => (typeof s === 'number' ? { element_key_int: s } : { attribute_name: s })),
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
  if (err instanceof ClaresiaApiError) {
    const path = err.field && attributes && err.field in attributes ? [err.field] : undefined;
    return error(`${action}: ${err.apiMessage}`, err.message + (err.requestId ? ` [request ${err.requestId}]` : ''), path);
  }
  if (err instanceof ClaresiaNetworkError) return error(`${action}: the control plane did not answer`, err.message);
  if (err instanceof ClaresiaConfigError) return error('Provider configuration', err.message);
  return error(`${action}: ${(err as Error)?.message ?? String(err)}`);
}
