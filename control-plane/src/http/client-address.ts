import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * The caller's address for rate budgets, SCIM allowlists and audit: `req.ip`, which behind a
 * trusted proxy (CLARESIA_TRUSTED_PROXIES) is the X-Forwarded-For entry the proxy wrote. Some
 * proxies write it with a port (Azure Application Gateway: `203.0.113.5:443`, `[2001:db8::1]:443`),
 * which would match no allowlist and give each connection a budget of its own; an IPv4 client on
 * a dual-stack socket appears as `::ffff:a.b.c.d`. Both are reduced to the address. An entry that
 * is no address at all (`unknown`) falls back to the peer.
 */
export function clientAddress(req: Pick<Request, 'ip' | 'socket'>): string {
  return plainAddress(req.ip) ?? plainAddress(req.socket.remoteAddress) ?? 'unknown';
}

export function plainAddress(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(a);
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(a);
  if (bracketed) a = bracketed[1]!;
  else if (v4port) a = v4port[1]!;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  if (mapped) a = mapped[1]!;
  return isIP(a) ? a.toLowerCase() : undefined;
}
