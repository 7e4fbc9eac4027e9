import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/script/run.js';

// tcp-reset.sh leaves MACs, ISNs and IP IDs to the simulation's random generator.
const file = join(import.meta.dirname, '../../examples/tcp-reset.sh');
const text = readFileSync(file, 'utf8');
const bytes = (seed: number) => runScenario(text, { file, seed, pcap: true }).probes.map((p) => Buffer.from(p.pcapng!).toString('hex'));

describe('a run is reproducible from its seed', () => {
  it('gives byte-identical frames for the same seed', () => {
    expect(bytes(5)).toEqual(bytes(5));
  });

  it('draws other MACs and sequence numbers for another seed, with the same capture lines', () => {
    expect(bytes(5)).not.toEqual(bytes(6));
    const lines = (seed: number) => runScenario(text, { file, seed }).segments;
    expect(lines(5)).toEqual(lines(6));
  });
});
