/**
 * A minimal script runner for the command tests: lexes text and dispatches each command in
 * the namespace the script starts in, collecting what the commands print. (The scenario
 * runner in run.ts does the same with the harness commands and captures.)
 */
import type { NetNamespace } from '../../netns/namespace.js';
import { Network } from '../../netns/network.js';
import { parseDuration } from '../../sim/time.js';
import { dispatch } from '../commands.js';
import type { Command, ScriptContext } from '../context.js';
import { lex } from '../lexer.js';

/** A simulated machine and a way to run script text on it. */
export interface TestMachine {
  net: Network;
  /** Runs the script text; returns what it printed. */
  run(text: string): string;
}

/** A fresh machine (seeded) to run commands on. */
export function testMachine(seed = 1, files: Record<string, string> = {}): TestMachine {
  const net = new Network(seed);
  let output = '';
  const context = (ns: NetNamespace): ScriptContext => ({
    net,
    ns,
    file: 'test.sh',
    out: (text) => {
      output += text;
    },
    exec: (target: NetNamespace, argv: string[], cmd: Command) => dispatch(context(target), argv, cmd),
  });
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error('No such file or directory');
    return text;
  };
  return {
    net,
    run(text: string): string {
      output = '';
      for (const cmd of lex(text, 'test.sh', readFile)) {
        // `sleep` is the scenario runner's; here it only lets virtual time pass.
        if (cmd.argv[0] === 'sleep') net.scheduler.runUntil(net.now + (parseDuration(cmd.argv[1] ?? '') ?? 0));
        else dispatch(context(net.root), cmd.argv, cmd);
      }
      return output;
    },
  };
}

/**
 * Runs a script line by line as `bash -x` would show it: each command as `+ LINE`, then what
 * it printed. The recorded kernel transcripts in the tests were made the same way.
 */
export function transcript(m: TestMachine, script: string): string {
  let out = '';
  for (const line of script.split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    out += `+ ${line}\n${m.run(line)}`;
  }
  return out;
}
