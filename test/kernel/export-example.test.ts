import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { EXPORT_SCENARIO, exampleExport } from './export-example.js';

describe('the exported example in the kernel corpus', () => {
  it('is what `dpsim export --script` writes for the built-in example now (regenerate: npx tsx test/kernel/export-example.ts, then re-record)', () => {
    expect(exampleExport()).toBe(readFileSync(EXPORT_SCENARIO, 'utf8'));
  });
});
