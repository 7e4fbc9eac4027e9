import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finishChecksum, foldSum, internetChecksum, pseudoHeaderSum, sumWords } from './checksum.js';

describe('internetChecksum', () => {
  it('matches the worked example of RFC 1071 section 3 (sum ddf2, checksum 220d)', () => {
    const bytes = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
    expect(foldSum(sumWords(bytes, 0, bytes.length))).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it('pads an odd last byte with zero', () => {
    expect(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56, 0x00)));
  });

  it('checks an IPv4 header the kernel sent (ICMP echo request, 10.0.1.2 > 10.0.2.2)', () => {
    const header = Buffer.from('450000543b2440004001e8810a0001020a000202', 'hex');
    expect(internetChecksum(header)).toBe(0);
  });

  it('gives 0 over any bytes that carry their own checksum', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(150), (data, where) => {
        const b = new Uint8Array(data.length + (data.length % 2) + 2);
        b.set(data);
        const at = Math.min(where * 2, b.length - 2);
        b[at] = 0;
        b[at + 1] = 0;
        const sum = internetChecksum(b);
        b[at] = sum >>> 8;
        b[at + 1] = sum & 0xff;
        expect(internetChecksum(b)).toBe(0);
      }),
    );
  });

  it('does not depend on how the sum is split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(100), (b, cut) => {
        const mid = Math.min(cut * 2, b.length);
        expect(finishChecksum(sumWords(b, mid, b.length, sumWords(b, 0, mid)))).toBe(internetChecksum(b));
      }),
    );
  });
});

describe('pseudoHeaderSum', () => {
  it('sums the addresses as 16-bit words, the protocol and the length', () => {
    expect(pseudoHeaderSum(0x0a000102, 0x0a000202, 17, 20)).toBe(0x0a00 + 0x0102 + 0x0a00 + 0x0202 + 17 + 20);
    expect(foldSum(pseudoHeaderSum(0xffffffff, 0xffffffff, 255, 0xffff))).toBeLessThanOrEqual(0xffff);
  });
});
