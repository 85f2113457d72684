import { BlockList, isIP } from 'node:net';

/**
 * Address ranges an outbound request from the control plane must never reach unless the
 * operator allows it: loopback, private, link-local (cloud metadata services live there),
 * carrier-grade NAT, multicast, documentation and other special-purpose blocks
 * (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // IPv4-compatible addresses (deprecated, RFC 4291 §2.5.5.1): some stacks and tunnels still
  // route ::a.b.c.d to a.b.c.d. Covers the unspecified address :: and the loopback ::1 too.
  ['::', 96],
  // IPv4-translated addresses (SIIT, RFC 2765): only meaningful inside a translator's site.
  ['::ffff:0:0:0', 96],
  // NAT64 local-use prefix (RFC 8215): whatever it maps to is the operator's own network.
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  // 6to4 (deprecated, RFC 7526): the embedded IPv4 address is reached through a relay, and a
  // private one inside would be reached on the relay's network, so none is let through.
  ['2002::', 16],
  // Documentation (RFC 9637) and SRv6 segment identifiers (RFC 9602), never globally routed.
  ['3fff::', 20],
  ['5f00::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The 16 bytes of an IPv6 address (`isIP` already said it is one), dotted-quad tail included. */
function ipv6Bytes(ip: string): number[] {
  let text = ip.replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b);
/** ::ffff:0:0/96, IPv4-mapped: the socket connects to the IPv4 address itself. */
const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
/** 64:ff9b::/96, the NAT64 well-known prefix (RFC 6052): the translator connects to the IPv4 address inside. */
const NAT64 = [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * The IPv4 address an IPv6 address stands for, when its prefix means the packet ends up there:
 * such an address is as public as that IPv4 address, no more (a NAT64 name for 10.0.0.1 reaches
 * 10.0.0.1 on the translator's network), and no less (an IPv6-only deployment behind DNS64
 * sees every public IPv4 host under 64:ff9b::/96).
 */
function embeddedIpv4(ip: string): string | undefined {
  const bytes = ipv6Bytes(ip);
  if (!startsWith(bytes, MAPPED) && !startsWith(bytes, NAT64)) return undefined;
  return bytes.slice(12).join('.');
}

/**
 * Only 2000::/3 is allocated as global unicast (RFC 4291 §2.4, IANA IPv6 Address Space); the
 * rest is reserved, so an address there that no entry above names is still not public.
 */
const isGlobalUnicast = (ip: string) => ((ipv6Bytes(ip)[0] ?? 0) & 0xe0) === 0x20;

/** True when `ip` is an ordinary public unicast address. */
export function isPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  if (family === 4) return !blocked.check(ip, 'ipv4');
  const v4 = embeddedIpv4(ip);
  if (v4 !== undefined) return !blocked.check(v4, 'ipv4');
  return isGlobalUnicast(ip) && !blocked.check(ip, 'ipv6');
}

/**
 * The first of a name's addresses that is not public. One bad address is enough to refuse:
 * which of several addresses a client ends up connecting to is not ours to choose.
 */
export function firstNonPublic(addresses: ReadonlyArray<{ address: string }>): string | undefined {
  return addresses.find((a) => !isPublicAddress(a.address))?.address;
}
