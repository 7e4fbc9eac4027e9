import { describe, expect, it } from 'vitest';
import { committedReport, kernelReport } from './report.js';

describe('docs/kernel-scenarios.md', () => {
  it('is the table the suite produces now (regenerate with: npx tsx test/kernel/report.ts)', () => {
    expect(committedReport()).toBe(kernelReport());
  });
});
