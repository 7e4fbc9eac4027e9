/**
 * Runs one command line (words as a shell would have split them) in a namespace of a built
 * network, through the scenario interpreter's commands, and returns what it printed.
 */
import type { Network } from '../netns/network.js';
import type { NetNamespace } from '../netns/namespace.js';
import { dispatch } from '../script/commands.js';
import type { Command, ScriptContext } from '../script/context.js';
import type { Cluster } from '../k8s/cluster/cluster.js';

export function runCommandLine(net: Network, ns: NetNamespace, argv: string[], where: string, cluster: Cluster | null = null): string {
  let out = '';
  const cmd: Command = { argv, line: 1, stdin: null, text: argv.join(' ') };
  const context = (target: NetNamespace): ScriptContext => ({
    net,
    ns: target,
    file: where,
    out: (text) => {
      out += text;
    },
    exec: (t, words, c) => dispatch(context(t), words, c),
    cluster,
  });
  dispatch(context(ns), argv, cmd);
  return out;
}
