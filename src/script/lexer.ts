/**
 * The scenario lexer: splits a script into commands the way bash would, for the subset
 * dpsim supports — words with single and double quotes and backslash escapes, comments,
 * `\` line continuations, `;` and newlines between commands, heredocs (`<<EOF`, `<<'EOF'`,
 * `<<-EOF`), `< FILE` as stdin, and pipes into text filters (`CMD | grep … | head -n N`,
 * see pipeline.ts). Everything else bash would do (expansions, `|&`, lists, output
 * redirections, subshells, shell keywords) is refused with a ScriptError naming the line
 * and the token, never guessed at.
 *
 * Two stages keep it easy to extend: the tokenizer turns text into words, operators and
 * separators (reading heredoc bodies as bash does, after the line that opened them), and
 * `assemble` groups them into commands as they come, so the first error in the text is the
 * one reported. A pipeline becomes one command (its first) carrying the parsed filters.
 */
import { ScriptError, type Command } from './context.js';
import { parseFilter, type PipedCommand } from './pipeline.js';

/** A word after quote removal. */
interface WordToken {
  kind: 'word';
  value: string;
  line: number;
  start: number;
  end: number;
  /** Index in `value` of the first character that came from quoting or an escape; -1 when none did. */
  quotedFrom: number;
}

/** A shell operator (`|`, `&&`, `<`, `<<`, `>` …); for a heredoc, the body it reads. */
interface OpToken {
  kind: 'op';
  op: string;
  line: number;
  start: number;
  end: number;
  /** For `<<` and `<<-`: the heredoc's text (each line newline-terminated). */
  body?: string;
}

/** The end of a command: `;` or a newline (or the end of the text). */
interface SepToken {
  kind: 'sep';
  line: number;
  start: number;
}

type Token = WordToken | OpToken | SepToken;

/** What each unsupported operator is, for the error message. */
const UNSUPPORTED_OPS: ReadonlyMap<string, string> = new Map([
  ['|&', 'pipe'],
  ['||', 'command list'],
  ['&&', 'command list'],
  ['&', 'background job'],
  [';;', 'case terminator'],
  ['>', 'output redirection'],
  ['>>', 'output redirection'],
  ['>|', 'output redirection'],
  ['>&', 'output redirection'],
  ['&>', 'output redirection'],
  ['&>>', 'output redirection'],
  ['<&', 'descriptor redirection'],
  ['<>', 'read-write redirection'],
  ['<<<', 'here-string'],
  ['(', 'subshell'],
  [')', 'subshell'],
]);

/** Words bash treats as syntax when they start a command. */
const RESERVED_WORDS = new Set([
  'if', 'then', 'else', 'elif', 'fi', 'case', 'esac', 'for', 'select', 'while', 'until', 'do', 'done',
  'function', 'time', '{', '}', '[[', ']]', '!', 'coproc',
]);

const BLANK = /[ \t]/;
/** Characters that end an unquoted word. */
const METACHAR = /[ \t\n;&|<>()`]/;
/** What may follow `$` to make it an expansion in bash. */
const EXPANSION_START = /[A-Za-z0-9_{(@*#?$!-]/;

/** Splits a script into commands; `readFile` reads a `< FILE` relative to the scenario. */
export function lex(text: string, file: string, readFile: (relPath: string) => string): Command[] {
  return assemble(new Tokenizer(text, file).tokens(), text, file, readFile);
}

class Tokenizer {
  private pos = 0;
  private line = 1;
  /** The last word or operator, to see a descriptor number written against a redirection. */
  private last: Token | null = null;
  /** Heredocs opened on the current line, whose bodies start after it. */
  private pending: { token: OpToken; delimiter: string; quoted: boolean; stripTabs: boolean }[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  private fail(message: string, line = this.line): never {
    throw new ScriptError(this.file, line, message);
  }

  /** The tokens in order; errors surface when the tokenizer reaches them. */
  *tokens(): Generator<Token> {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (BLANK.test(c)) {
        this.pos++;
      } else if (c === '\\' && text[this.pos + 1] === '\n') {
        this.pos += 2;
        this.line++;
      } else if (c === '#') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.pos++;
      } else if (c === '\n') {
        const sep: SepToken = { kind: 'sep', line: this.line, start: this.pos };
        this.pos++;
        this.line++;
        this.readHeredocBodies();
        yield sep;
      } else if (c === ';') {
        if (text[this.pos + 1] === ';') yield this.emit(this.operator(';;', 2));
        else {
          yield { kind: 'sep', line: this.line, start: this.pos };
          this.pos++;
        }
      } else if (c === '`') {
        this.fail('command substitution "`" is not supported by dpsim');
      } else if ('|&<>()'.includes(c)) {
        yield this.emit(this.readOperator());
      } else {
        yield this.emit(this.readWord());
      }
    }
    if (this.pending.length > 0) this.readHeredocBodies();
    yield { kind: 'sep', line: this.line, start: this.pos };
  }

  private emit<T extends Token>(token: T): T {
    this.last = token;
    return token;
  }

  private operator(op: string, length: number): OpToken {
    const token: OpToken = { kind: 'op', op, line: this.line, start: this.pos, end: this.pos + length };
    this.pos += length;
    return token;
  }

  private readOperator(): OpToken {
    const t = this.text;
    const p = this.pos;
    const two = t.slice(p, p + 2);
    const three = t.slice(p, p + 3);
    let op: string;
    if (three === '<<<' || three === '&>>') op = three;
    else if (['&&', '||', '|&', '>>', '>|', '>&', '&>', '<&', '<>', '<<'].includes(two)) op = two;
    else op = t[p]!;
    if (op === '<<') {
      const token = this.operator(t[p + 2] === '-' ? '<<-' : '<<', t[p + 2] === '-' ? 3 : 2);
      this.readHeredocDelimiter(token);
      return token;
    }
    if (op === '<' || op === '>' || op === '<>') {
      // A descriptor number written against the operator (`2>`, `0<`) is part of the redirection.
      const prev = this.last;
      if (prev !== null && prev.kind === 'word' && prev.end === p && prev.quotedFrom < 0 && /^[0-9]+$/.test(prev.value))
        this.fail(`descriptor redirection "${prev.value}${op}" is not supported by dpsim`);
    }
    return this.operator(op, op.length);
  }

  private readHeredocDelimiter(token: OpToken): void {
    while (this.pos < this.text.length && BLANK.test(this.text[this.pos]!)) this.pos++;
    const c = this.text[this.pos];
    if (c === undefined || c === '\n' || METACHAR.test(c)) this.fail(`heredoc "${token.op}" needs a delimiter word`);
    const word = this.readWord();
    this.pending.push({ token, delimiter: word.value, quoted: word.quotedFrom >= 0, stripTabs: token.op === '<<-' });
  }

  /** Reads the bodies of the heredocs opened on the line just ended, in order. */
  private readHeredocBodies(): void {
    const pending = this.pending;
    this.pending = [];
    for (const h of pending) {
      let body = '';
      let found = false;
      while (this.pos < this.text.length) {
        let eol = this.text.indexOf('\n', this.pos);
        if (eol < 0) eol = this.text.length;
        let lineText = this.text.slice(this.pos, eol);
        this.pos = Math.min(eol + 1, this.text.length);
        const lineNo = this.line++;
        if (h.stripTabs) lineText = lineText.replace(/^\t+/, '');
        if (lineText === h.delimiter) {
          found = true;
          break;
        }
        body += h.quoted ? lineText + '\n' : this.expandHeredocLine(lineText, lineNo);
      }
      if (!found) this.fail(`heredoc delimited by "${h.delimiter}" is not closed before the end of the script`, h.token.line);
      h.token.body = body;
    }
  }

  /**
   * One line of an unquoted heredoc with its newline: `\$`, `` \` `` and `\\` lose their
   * backslash, a final unescaped `\` joins the next line (as bash does), and expansions are refused.
   */
  private expandHeredocLine(lineText: string, lineNo: number): string {
    let out = '';
    for (let i = 0; i < lineText.length; i++) {
      const c = lineText[i]!;
      const next = lineText[i + 1];
      if (c === '\\' && next === undefined) return out;
      if (c === '\\' && '$`\\'.includes(next!)) {
        out += next;
        i++;
      } else if (c === '$' && next !== undefined && EXPANSION_START.test(next)) {
        this.fail(`${expansionName(lineText, i)} "${expansionToken(lineText, i)}" in an unquoted heredoc is not supported by dpsim (quote the delimiter: <<'EOF')`, lineNo);
      } else if (c === '`') {
        this.fail('command substitution "`" in an unquoted heredoc is not supported by dpsim', lineNo);
      } else {
        out += c;
      }
    }
    return out + '\n';
  }

  /** Reads one word, removing quotes and escapes. */
  private readWord(): WordToken {
    const t = this.text;
    const startLine = this.line;
    const start = this.pos;
    let value = '';
    let quotedFrom = -1;
    const markQuoted = (): void => {
      if (quotedFrom < 0) quotedFrom = value.length;
    };
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (METACHAR.test(c)) {
        if (c === '`') this.fail('command substitution "`" is not supported by dpsim');
        break;
      }
      if (c === '\\') {
        const next = t[this.pos + 1];
        if (next === '\n') {
          this.pos += 2;
          this.line++;
        } else if (next === undefined) {
          value += c;
          this.pos++;
        } else {
          markQuoted();
          value += next;
          this.pos += 2;
        }
      } else if (c === "'") {
        markQuoted();
        const close = t.indexOf("'", this.pos + 1);
        if (close < 0) this.fail('unterminated single quote', this.line);
        const inner = t.slice(this.pos + 1, close);
        value += inner;
        this.line += countNewlines(inner);
        this.pos = close + 1;
      } else if (c === '"') {
        markQuoted();
        value += this.readDoubleQuoted();
      } else if (c === '$') {
        const next = t[this.pos + 1];
        if (next !== undefined && (EXPANSION_START.test(next) || next === "'" || next === '"'))
          this.fail(`${expansionName(t, this.pos)} "${expansionToken(t, this.pos)}" is not supported by dpsim`);
        value += c;
        this.pos++;
      } else {
        value += c;
        this.pos++;
      }
    }
    if (quotedFrom < 0 && /\{[^{}]*(,|\.\.)[^{}]*\}/.test(value))
      this.fail(`brace expansion "${value}" is not supported by dpsim`, startLine);
    return { kind: 'word', value, line: startLine, start, end: this.pos, quotedFrom };
  }

  /** Reads `"…"` from its opening quote; returns its contents. */
  private readDoubleQuoted(): string {
    const t = this.text;
    const openLine = this.line;
    let value = '';
    this.pos++;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated double quote', openLine);
      const c = t[this.pos]!;
      if (c === '"') {
        this.pos++;
        return value;
      }
      if (c === '\\') {
        const next = t[this.pos + 1];
        if (next === '\n') {
          this.pos += 2;
          this.line++;
          continue;
        }
        if (next !== undefined && '$`"\\'.includes(next)) {
          value += next;
          this.pos += 2;
          continue;
        }
        value += c;
        this.pos++;
        continue;
      }
      if (c === '$') {
        const next = t[this.pos + 1];
        if (next !== undefined && EXPANSION_START.test(next))
          this.fail(`${expansionName(t, this.pos)} "${expansionToken(t, this.pos)}" is not supported by dpsim`);
      }
      if (c === '`') this.fail('command substitution "`" is not supported by dpsim');
      if (c === '\n') this.line++;
      value += c;
      this.pos++;
    }
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** What kind of expansion starts at text[i] (a `$`). */
function expansionName(text: string, i: number): string {
  const next = text[i + 1];
  if (next === '(') return text[i + 2] === '(' ? 'arithmetic expansion' : 'command substitution';
  if (next === "'" || next === '"') return 'quoting';
  return 'variable expansion';
}

/** The expansion token starting at text[i], for the message: `$VAR`, `${VAR}`, `$(`, `$1`. */
function expansionToken(text: string, i: number): string {
  const next = text[i + 1]!;
  if (next === '(') return text[i + 2] === '(' ? '$((' : '$(';
  if (next === '{') {
    const close = text.indexOf('}', i);
    return close > 0 && close - i < 64 ? text.slice(i, close + 1) : '${';
  }
  if (/[A-Za-z_]/.test(next)) return '$' + /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
  return text.slice(i, i + 2);
}

/** Groups tokens into commands, applying `< FILE` and heredocs as stdin and `|` as a pipeline. */
function assemble(tokens: Iterable<Token>, text: string, file: string, readFile: (relPath: string) => string): Command[] {
  const commands: Command[] = [];
  // A heredoc's body is read after its line ends, which may be after its command (`cat <<E; ls`).
  const heredocs = new Map<Command, OpToken>();
  let argv: string[] = [];
  let stdin: string | OpToken | null = null;
  let first: Token | null = null;
  let lastEnd = 0;
  /** The words of the pipeline's earlier commands, with the line each starts on. */
  let stages: { argv: string[]; line: number }[] = [];
  /** The `|` just read, while its next command has not started (bash reads on past newlines). */
  let pipe: OpToken | null = null;
  let stageLine = 0;
  const iter = tokens[Symbol.iterator]();
  for (let next = iter.next(); !next.done; next = iter.next()) {
    const tok = next.value;
    if (tok.kind === 'sep') {
      if (pipe !== null) {
        if (tok.start < text.length && text[tok.start] === '\n') continue;
        throw new ScriptError(file, pipe.line, 'pipe "|" needs a command after it');
      }
      if (first !== null) {
        if (argv.length === 0) throw new ScriptError(file, first.line, 'a redirection without a command is not supported by dpsim');
        stages.push({ argv, line: stageLine });
        const cmd: Command = { argv: stages[0]!.argv, line: first.line, stdin: typeof stdin === 'string' ? stdin : null, text: commandText(text, first.start, lastEnd) };
        if (stages.length > 1) (cmd as PipedCommand).filters = stages.slice(1).map((s) => parseFilter(s.argv, file, s.line));
        if (stdin !== null && typeof stdin !== 'string') heredocs.set(cmd, stdin);
        commands.push(cmd);
      }
      argv = [];
      stdin = null;
      first = null;
      stages = [];
      continue;
    }
    if (first === null) first = tok;
    if (tok.kind === 'word') {
      if (argv.length === 0) {
        checkCommandWord(tok, file);
        stageLine = tok.line;
      }
      pipe = null;
      argv.push(tok.value);
      lastEnd = tok.end;
      continue;
    }
    if (tok.op === '|') {
      if (argv.length === 0) throw new ScriptError(file, tok.line, 'syntax error near unexpected token "|"');
      stages.push({ argv, line: stageLine });
      argv = [];
      pipe = tok;
      continue;
    }
    if (pipe !== null) throw new ScriptError(file, tok.line, `syntax error near unexpected token "${tok.op}"`);
    const kind = UNSUPPORTED_OPS.get(tok.op);
    if (kind !== undefined) throw new ScriptError(file, tok.line, `${kind} "${tok.op}" is not supported by dpsim`);
    if (stages.length > 0)
      throw new ScriptError(file, tok.line, `input redirection "${tok.op}" of a command after "|" is not supported by dpsim`);
    if (tok.op === '<<' || tok.op === '<<-') {
      // The delimiter word was consumed with the operator.
      stdin = tok;
      lastEnd = heredocDelimiterEnd(text, tok);
      continue;
    }
    // `<`: the next token names the file.
    const target = iter.next();
    if (target.done || target.value.kind !== 'word') throw new ScriptError(file, tok.line, 'input redirection "<" needs a file name');
    lastEnd = target.value.end;
    stdin = readScriptFile(readFile, target.value.value, file, tok.line);
  }
  for (const [cmd, op] of heredocs) cmd.stdin = op.body ?? '';
  return commands;
}

/** Where the delimiter word after a heredoc operator ends (for the command's text). */
function heredocDelimiterEnd(text: string, tok: OpToken): number {
  let p = tok.end;
  while (p < text.length && BLANK.test(text[p]!)) p++;
  let quote: string | null = null;
  for (; p < text.length; p++) {
    const c = text[p]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (METACHAR.test(c)) break;
  }
  return p;
}

function readScriptFile(readFile: (relPath: string) => string, path: string, file: string, line: number): string {
  try {
    return readFile(path);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ScriptError(file, line, `cannot read "${path}" for input redirection: ${why}`);
  }
}

/** Refuses a first word that bash would not run as a command: a keyword or a variable assignment. */
function checkCommandWord(tok: WordToken, file: string): void {
  if (tok.quotedFrom < 0 && RESERVED_WORDS.has(tok.value))
    throw new ScriptError(file, tok.line, `shell keyword "${tok.value}" is not supported by dpsim`);
  const eq = tok.value.indexOf('=');
  if (eq > 0 && (tok.quotedFrom < 0 || tok.quotedFrom > eq) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(tok.value.slice(0, eq)))
    throw new ScriptError(file, tok.line, `variable assignment "${tok.value.slice(0, eq + 1)}" is not supported by dpsim`);
}

/** The command's source, continuations joined and blanks trimmed. */
function commandText(text: string, start: number, end: number): string {
  return text.slice(start, end).replace(/\\\n/g, '').trim();
}
