import { extensionOf, resolveAttr, type ResourceTypeDef } from './schema.js';

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5). Names resolve like filter paths, and
 * an extension's URN names the whole extension; `id` and `schemas` are always returned, and so
 * is what cannot be excluded. A name this server does not know is ignored, as most providers
 * do: IdPs ask for attributes of other schemas (Entra's `roles`), and §3.9 asks for no error.
 */
export interface Projection {
  include?: Set<string>;
  exclude?: Set<string>;
}

/** The key of a whole extension: `<urn>|*`. */
const WHOLE = '*';

function keys(type: ResourceTypeDef, raw: unknown): Set<string> {
  const list = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','));
  const out = new Set<string>();
  for (const item of list.map((x) => x.trim()).filter(Boolean)) {
    const ext = extensionOf(type, item);
    if (ext) {
      out.add(`${ext.id}|${WHOLE}`);
      continue;
    }
    let schema: string | undefined;
    let rest = item;
    if (/^urn:/i.test(item)) {
      const k = item.lastIndexOf(':');
      schema = item.slice(0, k);
      rest = item.slice(k + 1);
    }
    const [attr, sub, more] = rest.split('.');
    const r = attr && !more ? resolveAttr(type, schema, attr, sub) : undefined;
    if (!r) continue;
    out.add(`${r.extension ?? ''}|${r.attr.name}${r.sub ? '.' + r.sub.name : ''}`);
  }
  return out;
}

export function readProjection(type: ResourceTypeDef, query: Record<string, unknown>): Projection {
  const p: Projection = {};
  if (query.attributes !== undefined) p.include = keys(type, query.attributes);
  if (query.excludedAttributes !== undefined) p.exclude = keys(type, query.excludedAttributes);
  return p;
}

const ALWAYS = new Set(['schemas', 'id']);

function project(obj: Record<string, unknown>, ext: string, p: Projection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (ext === '' && ALWAYS.has(k)) {
      out[k] = v;
      continue;
    }
    if (ext === '' && /^urn:/i.test(k) && v && typeof v === 'object') {
      const whole = `${k}|${WHOLE}`;
      if (p.exclude?.has(whole)) continue;
      if (p.include?.has(whole)) {
        out[k] = v;
        continue;
      }
      const inner = project(v as Record<string, unknown>, k, p);
      if (Object.keys(inner).length) out[k] = inner;
      continue;
    }
    const whole = `${ext}|${k}`;
    if (p.include) {
      if (p.include.has(whole)) out[k] = v;
      else if (v && typeof v === 'object' && !Array.isArray(v)) {
        const subs = Object.fromEntries(Object.entries(v).filter(([s]) => p.include!.has(`${whole}.${s}`)));
        if (Object.keys(subs).length) out[k] = subs;
      } else if (Array.isArray(v)) {
        const picked = v.map((el) => (el && typeof el === 'object' ? Object.fromEntries(Object.entries(el).filter(([s]) => p.include!.has(`${whole}.${s}`))) : el));
        if (picked.some((el) => el && typeof el === 'object' && Object.keys(el).length)) out[k] = picked;
      }
      continue;
    }
    if (p.exclude?.has(whole)) continue;
    if (p.exclude && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).filter(([s]) => !p.exclude!.has(`${whole}.${s}`)));
      continue;
    }
    out[k] = v;
  }
  return out;
}

export function applyProjection(resource: Record<string, unknown>, p: Projection): Record<string, unknown> {
  if (!p.include && !p.exclude) return resource;
  const out = project(resource, '', p);
  // `schemas` names the extensions the answer holds, not those projected away.
  const gone = Object.keys(resource).filter((k) => /^urn:/i.test(k) && !(k in out));
  if (gone.length && Array.isArray(out.schemas)) out.schemas = out.schemas.filter((s) => !gone.includes(s));
  return out;
}
