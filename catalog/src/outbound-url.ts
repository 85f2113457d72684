import { isIP } from 'node:net';
import { FORMAT_MESSAGES } from './json-schema.js';

/**
 * URLs the control plane calls out to (a webhook, an LLM platform, an IdP) as a plan or a
 * preview can judge them. The API takes https only, except that a control plane started with
 * CLARESIA_ALLOW_PRIVATE_URLS (development, tests) also takes http to private addresses. A
 * client cannot know which kind of control plane it talks to, so it refuses what no control
 * plane takes (http to a public host name or address) and leaves http to a loopback or private
 * literal address, or to localhost, for the API to judge. The problem in the words every client
 * reports it with, or undefined.
 */
export function outboundUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return FORMAT_MESSAGES.uri;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLocal(url.hostname.replace(/^\[|\]$/g, ''))) return undefined;
  return FORMAT_MESSAGES['outbound-url'];
}

/** RFC 6761 §6.3: `localhost` and every name under it are loopback, whatever a resolver says. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

function isLocal(host: string): boolean {
  if (isLocalhostName(host)) return true;
  const family = isIP(host);
  if (family === 4) {
    const [a, b] = host.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  const name = host.toLowerCase();
  if (family === 6) return name === '::1' || /^f[cd][0-9a-f]{2}:/.test(name) || /^fe[89ab][0-9a-f]:/.test(name);
  return false;
}
