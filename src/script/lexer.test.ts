import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ScriptError } from './context.js';
import { lex } from './lexer.js';
import { filtersOf } from './pipeline.js';

const noFiles = (path: string): string => {
  throw new Error(`no file ${path}`);
};

/** argv of each command. */
function words(text: string, readFile = noFiles): string[][] {
  return lex(text, 's.sh', readFile).map((c) => c.argv);
}

/** The ScriptError message lexing `text` gives. */
function refusal(text: string): string {
  try {
    lex(text, 's.sh', noFiles);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('words as bash splits them', () => {
  // Each expectation is what bash 5 passed to a function printing its arguments.
  test.each<[string, string[]]>([
    ['ip link add veth0 type veth peer name veth1', ['ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1']],
    ['ip   -n  a   link     # comment here', ['ip', '-n', 'a', 'link']],
    [`echo "a b" 'c d' e\\ f`, ['echo', 'a b', 'c d', 'e f']],
    [`echo "x\\"y" 'x\\y' "a\\\\b" "a\\$b" "a\\qb" x\\\\y`, ['echo', 'x"y', 'x\\y', 'a\\b', 'a$b', 'a\\qb', 'x\\y']],
    [`echo a#b "#c" '#d' #e`, ['echo', 'a#b', '#c', '#d']],
    [`echo "" '' x`, ['echo', '', '', 'x']],
    [`echo ab"cd"'ef'gh`, ['echo', 'abcdefgh']],
    ['echo \\; \\| \\& \\> \\<', ['echo', ';', '|', '&', '>', '<']],
    ['echo {a} a{b c}d', ['echo', '{a}', 'a{b', 'c}d']],
    ['echo a=b c=d', ['echo', 'a=b', 'c=d']],
    ['echo "$" x$ "a $ b"', ['echo', '$', 'x$', 'a $ b']],
    ['echo -- -n --x=1', ['echo', '--', '-n', '--x=1']],
    ['echo "tab\tin" \'quote\'"mix"', ['echo', 'tab\tin', 'quotemix']],
    ['sysctl -w net.ipv4.ip_forward=1', ['sysctl', '-w', 'net.ipv4.ip_forward=1']],
  ])('%s', (line, argv) => {
    expect(words(line)).toEqual([argv]);
  });

  test('quotes may hold newlines; the command keeps its first line', () => {
    const cmds = lex(`echo "multi\nline" after\necho 'single\nquoted' after\nip link`, 's.sh', noFiles);
    expect(cmds.map((c) => [c.line, c.argv])).toEqual([
      [1, ['echo', 'multi\nline', 'after']],
      [3, ['echo', 'single\nquoted', 'after']],
      [5, ['ip', 'link']],
    ]);
  });

  test('continuations join lines; text is the joined source', () => {
    const cmds = lex('# setup\n\nip link add veth0 \\\n   type veth \\\n   peer name veth1\nip link\n', 's.sh', noFiles);
    expect(cmds).toEqual([
      { argv: ['ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1'], line: 3, stdin: null, text: 'ip link add veth0    type veth    peer name veth1' },
      { argv: ['ip', 'link'], line: 6, stdin: null, text: 'ip link' },
    ]);
  });

  test('semicolons separate commands on one line', () => {
    const cmds = lex('echo a;echo b ; echo c\n;\n', 's.sh', noFiles);
    expect(cmds.map((c) => [c.line, c.argv, c.text])).toEqual([
      [1, ['echo', 'a'], 'echo a'],
      [1, ['echo', 'b'], 'echo b'],
      [1, ['echo', 'c'], 'echo c'],
    ]);
  });

  test('a comment starts only at the start of a word, and a continuation inside a word joins it', () => {
    expect(words('ip link set veth0#1 up # not this\nec\\\nho x')).toEqual([
      ['ip', 'link', 'set', 'veth0#1', 'up'],
      ['echo', 'x'],
    ]);
  });
});

describe('stdin', () => {
  test('heredocs: plain, quoted, tab-stripping; bodies follow the line that opened them', () => {
    const script = [
      'iptables-restore <<EOF',
      '*filter',
      '-A INPUT -j ACCEPT',
      'COMMIT',
      'EOF',
      "cat <<'END' ; echo after",
      'literal $HOME `x` \\',
      'END',
      'cat <<-X',
      '\t\tindented',
      '\tX',
      'ip link',
    ].join('\n');
    const cmds = lex(script, 's.sh', noFiles);
    expect(cmds.map((c) => [c.line, c.argv, c.stdin, c.text])).toEqual([
      [1, ['iptables-restore'], '*filter\n-A INPUT -j ACCEPT\nCOMMIT\n', 'iptables-restore <<EOF'],
      [6, ['cat'], 'literal $HOME `x` \\\n', "cat <<'END'"],
      [6, ['echo', 'after'], null, 'echo after'],
      [9, ['cat'], 'indented\n', 'cat <<-X'],
      [12, ['ip', 'link'], null, 'ip link'],
    ]);
  });

  test('an unquoted heredoc unescapes \\$ \\` \\\\ and joins lines ending in a backslash', () => {
    const cmds = lex('cat <<EOF\nprice \\$5 \\\\ ok\nlong \\\nline\nEOF\n', 's.sh', noFiles);
    expect(cmds[0]!.stdin).toBe('price $5 \\ ok\nlong line\n');
  });

  test('< FILE reads the file relative to the scenario', () => {
    const read = (p: string): string => (p === 'rules.txt' ? '*nat\nCOMMIT\n' : noFiles(p));
    const cmds = lex('iptables-restore < rules.txt\nipset restore <"rules.txt" -exist', 's.sh', read);
    expect(cmds.map((c) => [c.argv, c.stdin])).toEqual([
      [['iptables-restore'], '*nat\nCOMMIT\n'],
      [['ipset', 'restore', '-exist'], '*nat\nCOMMIT\n'],
    ]);
  });

  test('a file that cannot be read is a ScriptError naming it', () => {
    expect(refusal('\niptables-restore < missing.txt')).toBe('s.sh:2: cannot read "missing.txt" for input redirection: no file missing.txt');
  });
});

describe('pipelines', () => {
  test('a pipeline is its first command carrying the filters; newlines may follow "|"', () => {
    const cmds = lex('iptables -t nat -S | grep -c KUBE\nip route |\n  grep -v -E "^(local|broadcast)" | head -n 2 | sort\nip link', 's.sh', noFiles);
    expect(cmds.map((c) => [c.line, c.argv, c.text, filtersOf(c)?.map((f) => f.kind) ?? null])).toEqual([
      [1, ['iptables', '-t', 'nat', '-S'], 'iptables -t nat -S | grep -c KUBE', ['grep']],
      [2, ['ip', 'route'], 'ip route |\n  grep -v -E "^(local|broadcast)" | head -n 2 | sort', ['grep', 'head', 'sort']],
      [4, ['ip', 'link'], 'ip link', null],
    ]);
    const grep = filtersOf(cmds[1]!)![0]!;
    expect(grep).toMatchObject({ kind: 'grep', invert: true, count: false });
  });

  test('a heredoc still feeds the first command', () => {
    const cmds = lex("iptables-restore <<'R' | wc -l\n*nat\nCOMMIT\nR\n", 's.sh', noFiles);
    expect(cmds.map((c) => [c.argv, c.stdin, filtersOf(c)])).toEqual([[['iptables-restore'], '*nat\nCOMMIT\n', [{ kind: 'wc' }]]]);
  });

  test('a quoted or escaped bar is a word', () => {
    expect(words(`echo "a|b" 'c|d' e\\|f`)).toEqual([['echo', 'a|b', 'c|d', 'e|f']]);
  });
});

describe('what the lexer refuses, naming the line and the token', () => {
  test.each<[string, string]>([
    ['ip link |& grep veth', 's.sh:1: pipe "|&" is not supported by dpsim'],
    ['| grep veth', 's.sh:1: syntax error near unexpected token "|"'],
    ['ip link | | grep veth', 's.sh:1: syntax error near unexpected token "|"'],
    ['ip link |', 's.sh:1: pipe "|" needs a command after it'],
    ['ip link | ; ip addr', 's.sh:1: pipe "|" needs a command after it'],
    ['ip link | grep x > out', 's.sh:1: output redirection ">" is not supported by dpsim'],
    ['ip link | grep x < f', 's.sh:1: input redirection "<" of a command after "|" is not supported by dpsim'],
    ['ip link | grep veth && ip addr', 's.sh:1: command list "&&" is not supported by dpsim'],
    ['\nip link | awk \'{print $2}\'', 's.sh:2: pipe into "awk" is not supported by dpsim (only grep, head, tail, wc, sort may follow "|")'],
    ['ip link | ip addr', 's.sh:1: pipe into "ip" is not supported by dpsim (only grep, head, tail, wc, sort may follow "|")'],
    ['ip link | grep -o veth', 's.sh:1: grep: option "-o" is not supported by dpsim (only -v, -E, -i, -c, -e)'],
    ['ip link |\n  head -c 5', 's.sh:2: head: option "-c" is not supported by dpsim (only -n N)'],
    ['ip link | wc', 's.sh:1: wc: only "wc -l" is supported by dpsim after "|"'],
    ['ip link | wc -w', 's.sh:1: wc: "-w" is not supported by dpsim (only "wc -l")'],
    ['ip link | sort -n', 's.sh:1: sort: option "-n" is not supported by dpsim (only -r, -u)'],
    ['ip link | grep "a\\(b"', 's.sh:1: grep: unmatched ( or \\( in pattern "a\\(b"'],
    ['ip link && ip addr', 's.sh:1: command list "&&" is not supported by dpsim'],
    ['ip link || true', 's.sh:1: command list "||" is not supported by dpsim'],
    ['sleep 1 &', 's.sh:1: background job "&" is not supported by dpsim'],
    ['ip link > out', 's.sh:1: output redirection ">" is not supported by dpsim'],
    ['ip link >> out', 's.sh:1: output redirection ">>" is not supported by dpsim'],
    ['ip link 2>/dev/null', 's.sh:1: descriptor redirection "2>" is not supported by dpsim'],
    ['ip link &>/dev/null', 's.sh:1: output redirection "&>" is not supported by dpsim'],
    ['cat <<< "x"', 's.sh:1: here-string "<<<" is not supported by dpsim'],
    ['(ip link)', 's.sh:1: subshell "(" is not supported by dpsim'],
    ['echo `hostname`', 's.sh:1: command substitution "`" is not supported by dpsim'],
    ['echo $(hostname)', 's.sh:1: command substitution "$(" is not supported by dpsim'],
    ['echo $((1+2))', 's.sh:1: arithmetic expansion "$((" is not supported by dpsim'],
    ['\n\nip link set $DEV up', 's.sh:3: variable expansion "$DEV" is not supported by dpsim'],
    ['echo "${NS}x"', 's.sh:1: variable expansion "${NS}" is not supported by dpsim'],
    ['echo $1', 's.sh:1: variable expansion "$1" is not supported by dpsim'],
    ["echo $'\\n'", 's.sh:1: quoting "$\'" is not supported by dpsim'],
    ['NS=a', 's.sh:1: variable assignment "NS=" is not supported by dpsim'],
    ['for i in 1 2; do echo $i; done', 's.sh:1: shell keyword "for" is not supported by dpsim'],
    ['if true; then echo; fi', 's.sh:1: shell keyword "if" is not supported by dpsim'],
    ['ip link add veth{0,1} type dummy', 's.sh:1: brace expansion "veth{0,1}" is not supported by dpsim'],
    ['echo "open\n\n', 's.sh:1: unterminated double quote'],
    ["\necho 'open", 's.sh:2: unterminated single quote'],
    ['cat <<EOF\nbody\n', 's.sh:1: heredoc delimited by "EOF" is not closed before the end of the script'],
    ['cat <<EOF\n$HOME\nEOF', 's.sh:2: variable expansion "$HOME" in an unquoted heredoc is not supported by dpsim (quote the delimiter: <<\'EOF\')'],
    ['cat <<', 's.sh:1: heredoc "<<" needs a delimiter word'],
    ['cat <', 's.sh:1: input redirection "<" needs a file name'],
    ['echo a ;; echo b', 's.sh:1: case terminator ";;" is not supported by dpsim'],
  ])('%s', (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  test('quoting makes keywords and assignments plain words', () => {
    expect(words("'for' x\n\"NS=a\" y\necho if")).toEqual([
      ['for', 'x'],
      ['NS=a', 'y'],
      ['echo', 'if'],
    ]);
  });
});

describe('robustness', () => {
  test('any input lexes or fails with a ScriptError, promptly', () => {
    const alphabet = fc.constantFrom(...'ab $\\\'"#;|&<>()`{},=\n\t-EOF0'.split(''), '<<', '<<-', "<<'EOF'", '\nEOF\n', '${', '$(');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }).map((parts) => parts.join('')), (text) => {
        const start = Date.now();
        try {
          lex(text, 'p.sh', (p) => `contents of ${p}\n`);
        } catch (e) {
          if (!(e instanceof ScriptError)) throw e;
        }
        return Date.now() - start < 200;
      }),
      { numRuns: 3000 },
    );
  });

  test('arbitrary unicode never escapes as anything but a ScriptError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        try {
          lex(text, 'p.sh', () => '');
        } catch (e) {
          if (!(e instanceof ScriptError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
