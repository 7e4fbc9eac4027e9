import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';

type Generator = ReturnType<typeof xoroshiro128plus>;

/** 2^31: the denominator of a 31-bit fixed-point probability (xt_statistic's). */
export const P31_ONE = 0x8000_0000;

/**
 * Decides the random branches a simulation meets instead of the generator, so that every
 * outcome of a packet can be explored (see explore.ts). `decide` is given the chance of the
 * branch being taken as a 31-bit fixed-point numerator.
 */
export interface BranchOracle {
  decide(threshold31: number): boolean;
}

/** The one seeded random source of a simulation: every random choice draws from it, so a seed fixes a run. */
export class Random {
  private readonly gen: Generator;
  /** When set, binary branches (`branch31`) are decided by it rather than drawn. */
  oracle: BranchOracle | null = null;

  constructor(readonly seed: number) {
    this.gen = xoroshiro128plus(seed);
  }

  /** A uniform integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    return this.gen.next() >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return (this.gen.next() >>> 0) / 0x1_0000_0000;
  }

  /**
   * A branch taken with probability threshold31 / 2^31, drawn as the kernel draws
   * xt_statistic's: (get_random_u32() & 0x7FFFFFFF) < threshold. Outcome explorers decide it.
   */
  branch31(threshold31: number): boolean {
    if (this.oracle !== null) return this.oracle.decide(threshold31);
    return (this.u32() & 0x7fffffff) < threshold31;
  }
}
