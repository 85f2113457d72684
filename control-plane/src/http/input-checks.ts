import type { Request } from 'express';
import { ApiError, badRequest } from './errors.js';

export const JSON_TYPES = ['application/json', 'application/*+json'];
export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** A field name as a user reads it; a name that itself holds a NUL shows it escaped. */
const shown = (name: string) => name.replaceAll('\u0000', '\\u0000');

function nulIn(value: unknown, field: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? field : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = nulIn(value[i], `${field}[${i}]`);
      if (f) return f;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const name = field ? `${field}.${shown(k)}` : shown(k);
      if (k.includes('\u0000')) return name;
      const f = nulIn(v, name);
      if (f) return f;
    }
  }
  return undefined;
}

/**
 * U+0000 in a path parameter, a query parameter or anywhere in a JSON or form body: PostgreSQL
 * cannot store it in text (nor jsonb), so it would end as a 500 after part of the work; it is
 * refused first, naming the field. A repeated query parameter is named without an index.
 */
export function refuseNul(params: Record<string, unknown>, query: Record<string, unknown>, body: unknown): void {
  const field =
    nulIn(params, '') ??
    Object.entries(query).map(([k, v]) => (k.includes('\u0000') || nulIn(Array.isArray(v) ? v : [v], '') ? shown(k) : undefined)).find(Boolean) ??
    nulIn(body, '');
  if (field !== undefined) throw badRequest(`${field || 'body'} contains a NUL character (U+0000), which is not allowed`, field || 'body', 'invalid_value');
}

/**
 * A request body the route cannot read: of another media type, or with none named (RFC 9110
 * §15.5.16). Refused with 415 rather than read as no body at all, which would answer "x is
 * required" to JSON sent as text/plain, or act as if an optional body had been left out.
 * A body of length 0 needs no type.
 */
export function unreadableBody(req: Request, form: boolean): ApiError | undefined {
  const length = req.header('content-length');
  const hasBody = req.header('transfer-encoding') !== undefined || (length !== undefined && Number(length) > 0);
  const accepted = form ? [...JSON_TYPES, FORM_TYPE] : JSON_TYPES;
  if (!hasBody || req.is(accepted)) return undefined;
  const type = req.header('content-type');
  const wanted = form ? `application/json or ${FORM_TYPE}` : 'application/json';
  return new ApiError(
    415,
    'unsupported_media_type',
    type ? `the Content-Type header must be ${wanted}, not "${type.slice(0, 100)}"` : `a request body needs a Content-Type header: ${wanted}`,
    'Content-Type',
  );
}
