type Operation = { parameters?: unknown[]; requestBody?: { content?: Record<string, unknown> }; [k: string]: unknown };
type OpenApi = { paths?: Record<string, Record<string, Operation>> };

const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255 },
  description:
    'Makes a retry safe: the same key and body from the same caller within 24 h gets the first answer again (with its Location and ' +
    'Idempotent-Replayed: true) instead of running twice; the same key with another body is 422 idempotency_key_reused. An answer ' +
    'that held a secret (a token, a client secret) is replayed whole, to that caller only, for 1 h: after that the key is forgotten ' +
    'and the request would run anew.',
};

/**
 * What the router adds to every operation and the catalog cannot know: which POSTs replay an
 * Idempotency-Key (those that run in one transaction), and which bodies may also come as a form.
 * Keys are `METHOD path`, as the router registers them.
 */
export function withHttpConventions<T extends OpenApi>(doc: T, routes: { idempotent: ReadonlySet<string>; forms: ReadonlySet<string> }): T {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const id = `${method.toUpperCase()} ${path}`;
      if (routes.idempotent.has(id)) op.parameters = [...(op.parameters ?? []), IDEMPOTENCY_KEY];
      const json = op.requestBody?.content?.['application/json'];
      if (routes.forms.has(id) && json) op.requestBody!.content!['application/x-www-form-urlencoded'] = json;
    }
  }
  return doc;
}
