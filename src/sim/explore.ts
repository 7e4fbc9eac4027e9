/**
 * Every outcome of a run that meets random branches, with its exact probability.
 *
 * The run is repeated from scratch once per path through its branches (depth first): each
 * repetition follows a recorded prefix of decisions and takes the "taken" side of every new
 * branch first, queueing the other side. A branch that is certain (threshold 0 or 2^31) is
 * not a fork. Probabilities are exact fractions over powers of two, kept as BigInt.
 */
import { P31_ONE, type BranchOracle } from './random.js';

/** An exact probability num/den. */
export interface Fraction {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function reduce(f: Fraction): Fraction {
  const g = gcd(f.num, f.den);
  return g === 0n ? f : { num: f.num / g, den: f.den / g };
}

export function fractionText(f: Fraction): string {
  const r = reduce(f);
  return r.den === 1n ? String(r.num) : `${r.num}/${r.den}`;
}

/** The decimal value, for printing (11 significant places are plenty for 31-bit shares). */
export function fractionValue(f: Fraction): number {
  return Number((f.num * 10n ** 15n) / f.den) / 1e15;
}

export function addFractions(a: Fraction, b: Fraction): Fraction {
  return reduce({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
}

export interface ExploredOutcome<T> {
  result: T;
  probability: Fraction;
  /** The decisions of this path, in the order the branches were met. */
  decisions: boolean[];
}

class PathOracle implements BranchOracle {
  index = 0;
  num = 1n;
  den = 1n;
  readonly decisions: boolean[] = [];
  /** Unexplored alternatives met on this path: the prefix that leads to them. */
  readonly forks: boolean[][] = [];

  constructor(private readonly prefix: readonly boolean[]) {}

  decide(threshold31: number): boolean {
    if (threshold31 <= 0) return false;
    if (threshold31 >= P31_ONE) return true;
    let taken: boolean;
    if (this.index < this.prefix.length) {
      taken = this.prefix[this.index]!;
    } else {
      taken = true;
      this.forks.push([...this.decisions, false]);
    }
    this.index++;
    this.decisions.push(taken);
    this.num *= BigInt(taken ? threshold31 : P31_ONE - threshold31);
    this.den *= BigInt(P31_ONE);
    return taken;
  }
}

/**
 * Runs `run` once per path through its random branches; `run` must build its world afresh
 * and install the oracle it is given (e.g. `network.random.oracle = oracle`).
 * `limit` bounds the number of paths (an error past it: the caller asked for too much).
 */
export function exploreOutcomes<T>(run: (oracle: BranchOracle) => T, limit = 10_000): ExploredOutcome<T>[] {
  const out: ExploredOutcome<T>[] = [];
  const pending: boolean[][] = [[]];
  while (pending.length > 0) {
    if (out.length >= limit) throw new Error(`more than ${limit} outcomes to explore`);
    const prefix = pending.pop()!;
    const oracle = new PathOracle(prefix);
    const result = run(oracle);
    out.push({ result, probability: reduce({ num: oracle.num, den: oracle.den }), decisions: oracle.decisions });
    // Depth first, "taken" before "not taken": the deepest fork is popped first, so paths come
    // out in lexicographic order of their decisions.
    for (const fork of oracle.forks) pending.push(fork);
  }
  return out;
}
