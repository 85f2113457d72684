import { BlockList, isIP } from 'node:net';
import { parseCidr } from '@claresia/catalog';

/** The directory IP allowlist at request time; entries were checked (catalog parseCidr) when written. */
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
