/**
 * The shape of an xtables extension (match or target) as dpsim models it: the long options
 * it adds to the command line, how each option's value lands in its plain data, the final
 * check, and how iptables-save prints it.
 */
import type { Rule, TableName } from './model.js';

/** Which iptables a rule is parsed for: a few canonical forms differ between the two. */
export type Flavour = 'nft' | 'legacy';

/** One long option of an extension (`--dport`), with its aliases and whether it takes a value. */
export interface OptionSpec {
  name: string;
  aliases?: readonly string[];
  /** 'required': one value; 'two': two values (`--tcp-flags MASK COMP`); 'none': a flag. */
  arg: 'none' | 'required' | 'two';
  /** Whether `!` may precede it. */
  invertible?: boolean;
}

/** What an extension sees while its options are parsed. */
export interface ParseEnv {
  flavour: Flavour;
  table: TableName;
  /** The rule being built (its protocol is set when -p came before). */
  rule: Rule;
  /** The options this extension instance was already given (canonical names). */
  seen: ReadonlySet<string>;
}

/** An extension: `data` is its plain record (with `name`), created by `create` and filled by `parse`. */
export interface Extension<D extends { name: string }> {
  name: string;
  options: readonly OptionSpec[];
  create(env: ParseEnv): D;
  /** Applies one option (canonical name) with its values; throws ParameterProblem. */
  parse(data: D, option: string, values: readonly string[], invert: boolean, env: ParseEnv): void;
  /** After the whole rule is read (x6_fcheck). */
  check?(data: D, env: ParseEnv): void;
  /** The iptables-save text, each piece with its leading space (` --dport 80`). */
  save(data: D): string;
}
