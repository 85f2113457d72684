import { BlockList, isIP } from 'node:net';

/**
 * CIDR lists for the directory IP allowlist. A CIDR must have its host bits zero
 * (203.0.113.0/24, not 203.0.113.7/24): the API stores what it is given, so an IaC plan after
 * apply stays empty, and a typo'd host address is refused instead of silently widened.
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

export function allowlist(cidrs: readonly string[]): BlockList | undefined {
  if (!cidrs.length) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (typeof p !== 'string') list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

/** Whether a socket address is allowed; IPv4 clients on a dual-stack socket appear as ::ffff:a.b.c.d. */
export function isAllowed(list: BlockList | undefined, remote: string | undefined): boolean {
  if (!list) return true;
  if (!remote) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return list.check(mapped[1]!, 'ipv4');
  return list.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4');
}
