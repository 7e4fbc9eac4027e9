/**
 * How iptables refuses input. A ParameterProblem is xtables_error(PARAMETER_PROBLEM): the
 * tool prints `PROG v1.8.9 (FLAVOUR): MESSAGE` and exits 2. A KernelError is what the kernel
 * (or libiptc / libnftnl on its behalf) refused: the tool prints `iptables: MESSAGE.` or, for
 * restore, `PROG: line N failed`, and exits 1 (nft: 4 for a rejected batch).
 */

/** A bad command line or rule: the tool's own parse error. `message` is printed after the version prefix. */
export class ParameterProblem extends Error {
  /** `bare`: printed without the `PROG vX (F): ` prefix (getopt's "Bad argument `x'"). */
  constructor(message: string, readonly bare = false) {
    super(message);
    this.name = 'ParameterProblem';
  }
}

/** What the kernel refused, as iptables words it (`No chain/target/match by that name`). */
export class KernelError extends Error {
  /** `nftBatch`: nft's per-rule batch error text (`RULE_APPEND failed (Too many links): rule in chain INPUT`). */
  constructor(message: string, readonly nftBatch: string | null = null) {
    super(message);
    this.name = 'KernelError';
  }
}

/** Something real iptables accepts that dpsim does not model (hostnames, address lists, unmodelled modules' options). */
export class NotModelled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotModelled';
  }
}
