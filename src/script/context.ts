import type { NetNamespace } from '../netns/namespace.js';
import type { Network } from '../netns/network.js';
import type { Cluster } from '../k8s/cluster/cluster.js';

/** A scenario error: the script cannot go on. Names the file and line, as `file:line: message`. */
export class ScriptError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScriptError';
  }
}

/** One command of a script, after lexing: its words, where it is, and what its stdin holds. */
export interface Command {
  /** The words after quote removal, e.g. ["ip", "-n", "r1", "route", "add", "10.0.0.0/24", "via", "10.1.0.1"]. */
  argv: string[];
  /** 1-based script line where the command starts. */
  line: number;
  /** Text given on stdin by a heredoc or `< FILE`, or null. */
  stdin: string | null;
  /** The command's source text (continuations joined), for messages and traces. */
  text: string;
}

/** What a command runs against: the simulated machine, the namespace it runs in, and where its output goes. */
export interface ScriptContext {
  readonly net: Network;
  /** The namespace the command runs in (`ip netns exec NS …` and `ip -n NS …` change it). */
  readonly ns: NetNamespace;
  /** The scenario file, for error messages and relative paths. */
  readonly file: string;
  /** Appends text a command printed (stdout, and a tool's own error messages as a terminal shows them). */
  out(text: string): void;
  /** Runs another command line in namespace `ns` (for `ip netns exec NS CMD…`). */
  exec(ns: NetNamespace, argv: string[], cmd: Command): void;
  /** The cluster the scenario runs on (after its `cluster FILE` line), for `kubectl`. */
  readonly cluster?: Cluster | null;
}

/** A command implementation. Throws ScriptError for what a real shell or tool would refuse outright in a scenario (unknown command, bad syntax). */
export type CommandHandler = (ctx: ScriptContext, argv: string[], cmd: Command) => void;
