import assert from 'node:assert/strict';
import { firstNonPublic, isPublicAddress } from '../../control-plane/src/net/address-policy.js';

const refused = (ips: string[]) => {
  for (const ip of ips) assert.equal(isPublicAddress(ip), false, `${ip} counted as public`);
};
const allowed = (ips: string[]) => {
  for (const ip of ips) assert.equal(isPublicAddress(ip), true, `${ip} counted as not public`);
};

describe('outbound address policy (IPv6 special ranges)', function () {
  it('refuses IPv4-compatible addresses (::/96), which covers :: and ::1', () => {
    refused(['::7f00:1', '::127.0.0.1', '::a00:1', '::8.8.8.8', '::808:808', '::', '::1', '0:0:0:0:0:0:0:1', '::ffff']);
  });

  it('judges an IPv4-mapped address (::ffff:0:0/96) by its IPv4 address, in either spelling', () => {
    refused(['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a00:1', '::ffff:169.254.169.254', '::FFFF:A9FE:A9FE', '0:0:0:0:0:ffff:c0a8:101']);
    allowed(['::ffff:8.8.8.8', '::ffff:808:808']);
  });

  it('refuses IPv4-translated addresses (::ffff:0:0:0/96) whatever is inside', () => {
    refused(['::ffff:0:7f00:1', '::ffff:0:808:808']);
  });

  it('judges a NAT64 well-known-prefix address (64:ff9b::/96) by the IPv4 address inside; the local-use prefix is refused', () => {
    refused(['64:ff9b::10.0.0.1', '64:ff9b::a00:1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::c0a8:1', '64:ff9b::6440:1', '64:ff9b:0:0:0:0:7f00:1']);
    allowed(['64:ff9b::8.8.8.8', '64:ff9b::808:808']);
    refused(['64:ff9b:1::808:808', '64:ff9b:1::a00:1']);
  });

  it('refuses 6to4 (2002::/16) with a private IPv4 address inside, and with a public one (deprecated, reached through a relay)', () => {
    refused(['2002:a00:1::1', '2002:7f00:1::', '2002:c0a8:101::1', '2002:a9fe:a9fe::', '2002:808:808::1']);
  });

  it('refuses site-local, unique local, link-local, multicast, documentation, Teredo, discard and SRv6 ranges', () => {
    refused(['fec0::1', 'feff::1', 'fc00::1', 'fd12:3456::1', 'fdff:ffff::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'ff02::1', 'ff0e::1']);
    refused(['2001:db8::1', '3fff::1', '2001::1', '100::1', '5f00::1']);
  });

  it('refuses addresses outside global unicast (2000::/3) that no special range names', () => {
    refused(['1::', '::ffff:1:808:808', '4000::1', '8000::1', 'e000::1']);
  });

  it('lets ordinary global unicast through', () => {
    allowed(['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e', '2620:fe::fe', '8.8.8.8']);
    assert.equal(firstNonPublic([{ address: '2606:4700:4700::1111' }, { address: '::7f00:1' }]), '::7f00:1');
    assert.equal(firstNonPublic([{ address: '2606:4700:4700::1111' }, { address: '64:ff9b::808:808' }]), undefined);
  });
});
