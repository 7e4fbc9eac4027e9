import { describe, expect, test } from 'vitest';
import { IpExit, getPrefix, matches, parseInetAddress, parseInteger, parseLladdr, parseUnsigned } from './args.js';
import { formatIPv4 } from '../../packet/address.js';

describe('iproute2 argument conventions', () => {
  test('matches: a non-empty prefix of the keyword', () => {
    expect(matches('a', 'address')).toBe(true);
    expect(matches('addr', 'address')).toBe(true);
    expect(matches('', 'address')).toBe(false);
    expect(matches('addresses', 'address')).toBe(false);
  });

  // What `ip route get ADDR` accepted on this machine, and where it went.
  test.each<[string, string | null]>([
    ['10', '10.0.0.0'],
    ['10.1', '10.1.0.0'],
    ['127.1', '127.1.0.0'],
    ['012.1.1.1', '10.1.1.1'],
    ['0x0b.1.1.1', '11.1.1.1'],
    ['0x7f.1', '127.1.0.0'],
    [' 127.0.0.1', '127.0.0.1'],
    ['+127.0.0.1', '127.0.0.1'],
    ['1.2.3.4.5', null],
    ['256.1.1.1', null],
    ['08.1.1.1', null],
    ['1..2', null],
    ['', null],
  ])('address %j', (text, parsed) => {
    const v = parseInetAddress(text);
    expect(v === null ? null : formatIPv4(v)).toBe(parsed);
  });

  test('prefixes take a length or a netmask', () => {
    expect(getPrefix('10.0.0.0/255.255.0.0', 'inet')).toEqual({ addr: 0x0a000000, len: 16, lenGiven: true, any: false });
    expect(getPrefix('default', 'inet')).toEqual({ addr: 0, len: 0, lenGiven: true, any: false });
    expect(getPrefix('10.0.0.1', 'inet')).toEqual({ addr: 0x0a000001, len: 32, lenGiven: false, any: false });
    expect(() => getPrefix('10.0.0.0/255.0.255.0', 'inet')).toThrow(new IpExit('Error: inet prefix is expected rather than "10.0.0.0/255.0.255.0".\n'));
    expect(() => getPrefix('10.0.0.0/33', 'any valid')).toThrow(IpExit);
  });

  test('numbers as strtoul/strtol with base 0 read them', () => {
    expect([parseUnsigned('0x10'), parseUnsigned('010'), parseUnsigned('42'), parseUnsigned('4x'), parseUnsigned('-1')]).toEqual([16, 8, 42, null, null]);
    expect([parseInteger('-1'), parseInteger('0x7fffffff'), parseInteger('2147483648'), parseInteger('abc')]).toEqual([-1, 0x7fffffff, null, null]);
  });

  test('link-layer addresses: hex bytes, the bad field named', () => {
    expect(parseLladdr('2:0:0:0:0:d')).toEqual([2, 0, 0, 0, 0, 13]);
    expect(parseLladdr('02:00:00:00:01')).toEqual([2, 0, 0, 0, 1]);
    expect(() => parseLladdr('02:zz:00')).toThrow(new IpExit('"zz" is invalid lladdr.\n'));
  });
});
