/**
 * The cross-check of the two ways a capture line is made: frames the kernel sent (the zoo
 * pcaps, fixtures/make-fixtures.ts), decoded by src/packet/decode.ts and formatted by
 * src/trace/capture.ts, must give exactly the lines the normaliser reads from tcpdump's text
 * for the same file (`tcpdump -r FILE -n -tt`). The interface column is left out: a pcap of
 * `-i any` keeps only interface indexes, which tcpdump -r names from the reading host. The
 * SLL2 link header keeps no destination MAC, so the rebuilt frames carry a zero one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../src/packet/decode.js';
import { formatCaptureLine } from '../../src/trace/capture.js';
import { normaliseCapture } from '../../src/verify/normalise.js';
import { fillOffloadedChecksum, readSll2Pcap } from './pcap.js';

const ZOO = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'zoo');
const files = readdirSync(ZOO)
  .filter((f) => f.endsWith('.pcap'))
  .sort();

describe('decodeFrame + formatCaptureLine agree with the normaliser on kernel captures', () => {
  it('has zoo captures to check', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const f of files) {
    it(f, () => {
      const frames = readSll2Pcap(readFileSync(join(ZOO, f)));
      const decoded = frames.map((fr) => {
        fillOffloadedChecksum(fr.ethernet); // veth leaves local TCP/UDP checksums to "hardware"
        return formatCaptureLine('ns', 'dev', fr.dir, decodeFrame(fr.ethernet));
      });
      const text = readFileSync(join(ZOO, f.replace(/\.pcap$/, '.txt')), 'utf8');
      const normalised = normaliseCapture('ns', text).map((l) => l.line.replace(/^ns \S+ /, 'ns dev '));
      expect(decoded).toEqual(normalised);
    });
  }
});
