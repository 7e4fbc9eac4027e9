/** What decodeFrame refuses, and where it says the problem is. */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { internetChecksum } from './checksum.js';
import { DecodeError, decodeFrame, decodeIpDatagram } from './decode.js';
import { encodeFrame } from './encode.js';

const FIXTURES = new URL('../../test/fixtures/wire/', import.meta.url);

/** Every frame of every kernel capture. */
const kernelFrames: Uint8Array[] = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.hex'))
  .flatMap((f) => readFileSync(new URL(f, FIXTURES), 'utf8').split('\n'))
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => Uint8Array.from(Buffer.from(l.trim(), 'hex')));

/** The UDP datagram the kernel sent (udp-data.hex): 10.0.1.2:40000 > 10.0.2.2:5301 "hello dpsim\n". */
const UDP = readFileSync(new URL('udp-data.hex', FIXTURES), 'utf8').split('\n')[1]!.trim();
const ETH = 0;
const IP = 14;
const L4 = 34;

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

/** The UDP frame after `edit`, with the IPv4 header checksum made right again. */
function udpWith(edit: (b: Uint8Array) => void, fixIpChecksum = true): Uint8Array {
  const b = bytes(UDP);
  edit(b);
  if (fixIpChecksum) {
    b[IP + 10] = 0;
    b[IP + 11] = 0;
    const sum = internetChecksum(b, IP, IP + 20);
    b[IP + 10] = sum >>> 8;
    b[IP + 11] = sum & 0xff;
  }
  return b;
}

/** The DecodeError that decoding `b` throws. */
function errorOf(b: Uint8Array): DecodeError {
  try {
    decodeFrame(b);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('decoded without error');
}

describe('DecodeError', () => {
  it('names the offset and the problem', () => {
    const e = errorOf(udpWith((b) => (b[L4 + 9] ^= 1), false));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('DecodeError');
    expect(e.offset).toBe(L4 + 6);
    expect(e.what).toBe('bad UDP checksum');
    expect(e.message).toBe('bad UDP checksum (at byte 40)');
  });

  it.each([
    ['a runt frame', bytes(UDP).subarray(0, 10), ETH, /shorter than an Ethernet header/],
    ['an IPv6 frame', udpWith((b) => (b[12] = 0x86), false), 12, /unsupported ethertype 0x8600/],
    ['a VLAN tag', udpWith((b) => ((b[12] = 0x81), (b[13] = 0x00)), false), 12, /VLAN/],
    ['a bad IPv4 header checksum', udpWith((b) => (b[IP + 8] = 1), false), IP + 10, /bad IPv4 header checksum/],
    ['IPv4 options', udpWith((b) => (b[IP] = 0x46)), IP, /options/],
    ['IP version 6 in an IPv4 frame', udpWith((b) => (b[IP] = 0x65)), IP, /version 6/],
    ['a fragment', udpWith((b) => (b[IP + 6] = 0x20)), IP + 6, /fragments/],
    ['a total length beyond the frame', udpWith((b) => (b[IP + 3] = 0x40)), IP + 2, /exceeds/],
    ['a UDP length that disagrees', udpWith((b) => (b[L4 + 5] = 0x13), false), L4 + 4, /UDP length 19/],
    ['trailing bytes in a frame over 60 bytes', Uint8Array.from([...bytes(UDP), ...new Uint8Array(20)]), 54, /bytes after the IPv4 datagram/],
  ])('refuses %s', (_what, frame, offset, message) => {
    const e = errorOf(frame);
    expect(e.offset).toBe(offset);
    expect(e.what).toMatch(message);
  });

  it('refuses non-Ethernet ARP, TCP urgent data and a short TCP data offset', () => {
    const arp = bytes('ffffffffffff020000000001080600010800060400010200000000010a0001010000000000000a000102');
    expect(decodeFrame(arp).arpOp).toBe(1);
    arp[15] = 6; // hardware type 6 (IEEE 802)
    expect(errorOf(arp).what).toMatch(/ARP for other than Ethernet\/IPv4/);
    const syn = kernelFrames.find((f) => f.length === 74 && f[L4 + 13] === 0x02)!;
    const urgent = syn.slice();
    urgent[L4 + 19] = 1;
    expect(errorOf(urgent)).toMatchObject({ offset: L4 + 18, what: 'TCP urgent pointer is not modelled' });
    const short = syn.slice();
    short[L4 + 12] = 0x40;
    expect(errorOf(short).what).toMatch(/TCP data offset 16/);
  });

  it('refuses an IPv4 datagram with bytes after it', () => {
    const datagram = bytes(UDP).subarray(IP);
    expect(decodeIpDatagram(datagram).dport).toBe(5301);
    expect(() => decodeIpDatagram(Uint8Array.from([...datagram, 0]))).toThrow(DecodeError);
  });
});

describe('damaged kernel frames', () => {
  it('every cut short frame is a DecodeError', () => {
    for (const frame of kernelFrames) {
      for (let len = 0; len < frame.length; len++) {
        expect(() => decodeFrame(frame.subarray(0, len)), `${frame.length} cut to ${len}`).toThrow(DecodeError);
      }
    }
  });

  it('a flipped bit is a DecodeError or decodes to a packet that encodes to exactly those bytes', () => {
    const frames = fc.constantFrom(...kernelFrames);
    fc.assert(
      fc.property(frames, fc.nat(), fc.nat(7), (frame, at, bit) => {
        const b = frame.slice();
        b[at % b.length] ^= 1 << bit;
        let back: Uint8Array;
        try {
          back = encodeFrame(decodeFrame(b));
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
          return;
        }
        expect(Buffer.from(back).toString('hex')).toBe(Buffer.from(b).toString('hex'));
      }),
      { numRuns: 3000 },
    );
  });
});
