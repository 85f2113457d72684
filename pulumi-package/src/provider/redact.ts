/**
 * Error text the plugin passes on can quote a value the program sent: the API names the value
 * it refused (`slug "acme" is already taken`), a path carries an id. When that value was a
 * secret, the engine would print it and keep it in its logs; it is masked here instead.
 */
import { isSecretValue, UNKNOWN, type Props } from './values.js';

const MASK = '[secret]';

/** Every string and number inside a secret, at any depth of the given property bags. */
export function secretTexts(...bags: Array<Props | undefined>): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, inSecret: boolean): void => {
    if (isSecretValue(v)) walk(v.value, true);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, inSecret));
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach((x) => walk(x, inSecret));
    else if (inSecret && ((typeof v === 'string' && v !== UNKNOWN) || typeof v === 'number')) found.add(String(v));
  };
  for (const bag of bags) if (bag) walk(bag, false);
  return [...found];
}

/**
 * The text with every occurrence of each secret masked: as sent, trimmed, and URL-encoded (a
 * path segment), in any letter case (the API may have lowercased it). A short secret is masked
 * wherever that text appears, inside other words too: that costs readability, never the secret.
 */
export function redact(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const s of secrets) for (const f of [s, s.trim(), encodeURIComponent(s.trim())]) if (f !== '') forms.add(f);
  if (forms.size === 0) return text;
  // One pass, longest first: a secret containing another is masked whole, and no mask is searched again.
  const any = [...forms].sort((a, b) => b.length - a.length).map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return text.replace(new RegExp(any.join('|'), 'gi'), MASK);
}
