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
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** `::ffff:10.0.0.1` is the IPv4 address 10.0.0.1 and must be judged as one. */
function unmapped(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}

/** True when `ip` is an ordinary public unicast address. */
export function isPublicAddress(ip: string): boolean {
  const addr = unmapped(ip);
  const family = isIP(addr);
  if (family === 0) return false;
  if (family === 6 && /^::ffff:/i.test(addr)) return false;
  return !blocked.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The first of a name's addresses that is not public. One bad address is enough to refuse:
 * which of several addresses a client ends up connecting to is not ours to choose.
 */
export function firstNonPublic(addresses: ReadonlyArray<{ address: string }>): string | undefined {
  return addresses.find((a) => !isPublicAddress(a.address))?.address;
}
