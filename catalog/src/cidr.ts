import { isIP } from 'node:net';

/**
 * CIDR blocks as the API reads them (a SCIM directory's IP allowlist). A CIDR must have its host
 * bits zero (203.0.113.0/24, not 203.0.113.7/24): a mistyped host address is refused instead of
 * silently widened.
 * Here rather than in the API so that `terraform plan` and a Pulumi preview refuse what it refuses.
 */
export interface ParsedCidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function hostBitsZero(address: string, prefix: number, family: 'ipv4' | 'ipv6'): boolean {
  const bits = family === 'ipv4' ? 32 : 128;
  if (prefix === bits) return true;
  const words = family === 'ipv4' ? address.split('.').map(Number) : expandV6(address);
  const width = family === 'ipv4' ? 8 : 16;
  for (let i = 0; i < words.length; i++) {
    const start = i * width;
    const keep = Math.max(0, Math.min(width, prefix - start));
    const mask = keep === width ? 0 : (1 << (width - keep)) - 1;
    if ((words[i]! & mask) !== 0) return false;
  }
  return true;
}

function expandV6(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x || '0', 16));
}

/** The block, or what is wrong with it in the words every client reports. */
export function parseCidr(value: string): ParsedCidr | string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(value);
  if (!m) return 'must be a CIDR such as 203.0.113.0/24';
  const address = m[1]!;
  const v = isIP(address);
  if (v === 0) return 'must be a CIDR such as 203.0.113.0/24';
  if (v === 6 && address.includes('.')) return 'IPv6 CIDRs with embedded IPv4 are not supported; write the IPv4 CIDR';
  const family = v === 4 ? 'ipv4' : 'ipv6';
  const prefix = Number(m[2]);
  if (prefix > (v === 4 ? 32 : 128)) return `prefix /${prefix} is too long for IPv${v}`;
  if (!hostBitsZero(address, prefix, family)) return `has host bits set; write the network address (e.g. ${family === 'ipv4' ? '203.0.113.0/24' : '2001:db8::/32'})`;
  return { address, prefix, family };
}

/**
 * A valid CIDR in its one canonical spelling: IPv6 lowercased and compressed as RFC 5952 has it
 * (the WHATWG URL serializer writes exactly that). Anything else is returned as given, for the
 * format check to refuse.
 */
export function canonicalCidr(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const p = parseCidr(value);
  if (typeof p === 'string' || p.family === 'ipv4') return value;
  return `${new URL(`http://[${p.address}]/`).hostname.slice(1, -1)}/${p.prefix}`;
}

/** What the API would refuse in this CIDR, or undefined when it takes it. */
export function cidrProblem(value: string): string | undefined {
  const p = parseCidr(value);
  return typeof p === 'string' ? p : undefined;
}
