import fc from 'fast-check';
import { IPv4, Validator } from 'ip-num';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatMac, networkOf, parseCidr, parseIPv4, parseMac, prefixMask } from './address.js';

const uint32 = fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([hi, lo]) => hi * 0x10000 + lo);
const uint48 = fc.tuple(fc.nat(0xffffff), fc.nat(0xffffff)).map(([hi, lo]) => hi * 0x1000000 + lo);

describe('IPv4 addresses', () => {
  it('parses and prints dotted quads', () => {
    expect(parseIPv4('10.244.1.2')).toBe(0x0af40102);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(formatIPv4(0xc0a80101)).toBe('192.168.1.1');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
  });

  it('rejects what inet_pton rejects', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1.2.3.04', ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '1..3.4', '0x1.2.3.4', '1.2.3.4/24', '1.2.3.1000']) {
      expect(parseIPv4(bad), bad).toBeNull();
    }
  });

  it('prints every address as ip-num does, and parses it back', () => {
    fc.assert(
      fc.property(uint32, (n) => {
        const text = formatIPv4(n);
        expect(text).toBe(IPv4.fromNumber(n).toString());
        expect(parseIPv4(text)).toBe(n);
      }),
    );
  });

  it('accepts exactly the strings ip-num accepts, with the same value', () => {
    const quadish = fc.array(fc.oneof(fc.constantFrom('0', '00', '01', '255', '256', '999', '', '1a'), fc.nat(300).map(String)), { minLength: 3, maxLength: 5 }).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(fc.oneof(quadish, fc.string({ maxLength: 16 })), (text) => {
        const [valid] = Validator.isValidIPv4String(text);
        const n = parseIPv4(text);
        expect(n !== null, text).toBe(valid);
        if (n !== null) expect(BigInt(n)).toBe(IPv4.fromString(text).getValue());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('MAC addresses', () => {
  it('parses as `ip link` does and prints lowercase', () => {
    expect(parseMac('02:00:00:00:00:01')).toBe(0x020000000001);
    expect(parseMac('AA:bb:CC:dd:EE:ff')).toBe(0xaabbccddeeff);
    expect(parseMac('2:0:0:0:0:1')).toBe(0x020000000001);
    expect(formatMac(0xaabbccddeeff)).toBe('aa:bb:cc:dd:ee:ff');
    expect(formatMac(0x020000000001)).toBe('02:00:00:00:00:01');
  });

  it('rejects malformed text', () => {
    for (const bad of ['', '02:00:00:00:00', '02:00:00:00:00:01:02', '002:00:00:00:00:01', '02:00:00:00:00:0g', '02::00:00:00:01', '02-00-00-00-00-01', '02:00:00:00:00:01:']) {
      expect(parseMac(bad), bad).toBeNull();
    }
  });

  it('round-trips every 48-bit number', () => {
    fc.assert(
      fc.property(uint48, (n) => {
        expect(parseMac(formatMac(n))).toBe(n);
      }),
    );
  });
});

describe('CIDR prefixes', () => {
  it('parses an address and a prefix length, keeping host bits', () => {
    expect(parseCidr('10.0.0.0/24')).toEqual({ addr: 0x0a000000, prefixLen: 24 });
    expect(parseCidr('10.244.1.7/16')).toEqual({ addr: 0x0af40107, prefixLen: 16 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ addr: 0, prefixLen: 0 });
    for (const bad of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/024', '10.0.0/8', '10.0.0.0/-1', '10.0.0.0/2 4']) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it('agrees with ip-num on which texts are CIDR notation', () => {
    fc.assert(
      fc.property(uint32, fc.nat(33), (addr, len) => {
        const text = `${formatIPv4(addr)}/${len}`;
        expect(parseCidr(text) !== null).toBe(Validator.isValidIPv4CidrNotation(text)[0]);
      }),
    );
  });

  it('gives netmasks and network addresses', () => {
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(8)).toBe(0xff000000);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(networkOf(0x0af40107, 16)).toBe(0x0af40000);
    expect(() => prefixMask(33)).toThrow(RangeError);
    fc.assert(
      fc.property(fc.nat(32), (len) => {
        expect(prefixMask(len).toString(2).replace(/0+$/, '')).toBe('1'.repeat(len));
      }),
    );
  });
});
