/**
 * The ipset command against transcripts recorded with ipset v7.17 on kernel 6.18 in a fresh
 * `unshare --mount --net` namespace (`bash -x SCRIPT`, stdout and stderr together): each
 * testdata/NAME.sh was run there and its output saved as testdata/NAME.out. Every set is
 * created with an explicit `initval` so bucket order and `Size in memory` are deterministic.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Network } from '../../netns/network.js';
import { dispatch } from '../commands.js';
import type { ScriptContext } from '../context.js';
import { lex } from '../lexer.js';

const here = dirname(fileURLToPath(import.meta.url));

/** A word as `bash -x` echoes it: quoted when it holds characters the shell would treat specially. */
function xtrace(word: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(word) ? word : `'${word}'`;
}

/** Runs a script as `bash -x` shows it: `+ COMMAND` then what it printed. */
export function xtraceRun(script: string, net = new Network(1)): string {
  let out = '';
  const ctx: ScriptContext = {
    net,
    ns: net.root,
    file: 'test.sh',
    out: (text) => {
      out += text;
    },
    exec: () => {
      throw new Error('exec not used');
    },
  };
  for (const cmd of lex(script, 'test.sh', () => '')) {
    out += `+ ${cmd.argv.map(xtrace).join(' ')}\n`;
    dispatch(ctx, cmd.argv, cmd);
  }
  return out;
}

function recorded(name: string): { script: string; output: string } {
  return {
    script: readFileSync(join(here, 'testdata', `${name}.sh`), 'utf8'),
    output: readFileSync(join(here, 'testdata', `${name}.out`), 'utf8'),
  };
}

describe('ipset transcripts (recorded from the real tool)', () => {
  for (const name of ['commands', 'restore', 'restore-batches', 'options', 'kube-proxy', 'resize']) {
    test(name, () => {
      const r = recorded(name);
      expect(xtraceRun(r.script)).toBe(r.output);
    });
  }
});
