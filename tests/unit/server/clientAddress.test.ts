import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../../server/clientAddress.js';

const req = (peer: string | undefined, forwardedFor?: string | string[]) => ({
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  socket: { remoteAddress: peer },
});

describe('clientAddress', () => {
  it('is the TCP peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress(req('192.0.2.10'), 0)).toBe('192.0.2.10');
    expect(clientAddress(req('192.0.2.10', '203.0.113.5'), 0)).toBe('192.0.2.10');
    expect(clientAddress(req(undefined), 0)).toBe('unknown');
  });

  it('unwraps IPv4-mapped addresses and counts IPv6 clients by their /64', () => {
    expect(clientAddress(req('::ffff:192.0.2.10'), 0)).toBe('192.0.2.10');
    expect(clientAddress(req('2001:db8:aa:bb:1:2:3:4'), 0)).toBe('2001:db8:aa:bb::/64');
    expect(clientAddress(req('2001:DB8:AA:BB::9'), 0)).toBe('2001:db8:aa:bb::/64');
    expect(clientAddress(req('2001:db8::1'), 0)).toBe('2001:db8:0:0::/64');
    expect(clientAddress(req('1::2:3:4:5:6:7'), 0)).toBe('1:0:2:3::/64');
    expect(clientAddress(req('::1'), 0)).toBe('0:0:0:0::/64');
    expect(clientAddress(req('fe80::1%eth0'), 0)).toBe('fe80:0:0:0::/64');
  });

  it('with n trusted proxies, takes the entry n hops left of the peer', () => {
    const chain = '198.51.100.1, 203.0.113.5,192.0.2.77';
    expect(clientAddress(req('10.0.0.1', chain), 1)).toBe('192.0.2.77');
    expect(clientAddress(req('10.0.0.1', chain), 2)).toBe('203.0.113.5');
    // Several header lines are one list, in order.
    expect(clientAddress(req('10.0.0.1', ['198.51.100.1', '203.0.113.5']), 1)).toBe('203.0.113.5');
    // A chain shorter than the trusted hops: the left-most entry.
    expect(clientAddress(req('10.0.0.1', '203.0.113.5'), 3)).toBe('203.0.113.5');
    expect(clientAddress(req('10.0.0.1', '2001:db8:1:2::5'), 1)).toBe('2001:db8:1:2::/64');
  });

  it('falls back to the peer when there is no header or the trusted entry is not an address', () => {
    expect(clientAddress(req('10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', 'unknown'), 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', '203.0.113.5, <script>'), 1)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', ' , '), 1)).toBe('10.0.0.1');
  });
});
