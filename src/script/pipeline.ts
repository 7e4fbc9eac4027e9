/**
 * Pipes in scenarios: `CMD | grep [-v] [-E] [-i] [-c] PATTERN | head [-n N|-N] | tail [-n N]
 * | wc -l | sort`, as people use them after `iptables -t nat -S`, `ip route`, `conntrack -L`.
 * The first command of a pipeline is a dpsim command; its output goes through the filters
 * in order. Each filter is a text function that prints what GNU grep 3.8 / coreutils 9.1
 * print for the same input and options in the C locale (bytewise `sort`, ASCII `-i`).
 * Filters and options outside that set are refused when the script is lexed, naming the
 * line and the token.
 */
import { ScriptError, type Command } from './context.js';

/** One filter of a pipeline, parsed. */
export type Filter =
  | { kind: 'grep'; pattern: RegExp; invert: boolean; count: boolean; /** `grep -v ''`: GNU grep exits at once, printing nothing (not even -c's count). */ nothing: boolean }
  | { kind: 'head'; lines: number; allBut: boolean }
  | { kind: 'tail'; lines: number; fromLine: boolean }
  | { kind: 'wc' }
  | { kind: 'sort'; reverse: boolean; unique: boolean };

/** A command whose output is piped through filters (what the lexer makes of `CMD | …`). */
export interface PipedCommand extends Command {
  filters: Filter[];
}

/** The filters a command's output goes through, or null when it is not piped. */
export function filtersOf(cmd: Command): readonly Filter[] | null {
  const f = (cmd as Partial<PipedCommand>).filters;
  return f === undefined ? null : f;
}

/** The programs that may follow `|`. */
export const FILTER_PROGRAMS: readonly string[] = ['grep', 'head', 'tail', 'wc', 'sort'];

/** `grep` for `grep`, `/bin/grep` and `/usr/bin/grep`. */
function programName(word: string): string {
  const m = /^(?:\/usr)?\/bin\/([^/]+)$/.exec(word);
  return m === null ? word : m[1]!;
}

/** Parses one filter's words; anything unsupported is a ScriptError naming `file:line` and the token. */
export function parseFilter(argv: readonly string[], file: string, line: number): Filter {
  const fail = (message: string): never => {
    throw new ScriptError(file, line, message);
  };
  const name = programName(argv[0] ?? '');
  switch (name) {
    case 'grep':
      return parseGrep(argv, fail);
    case 'head':
    case 'tail':
      return parseHeadTail(name, argv, fail);
    case 'wc':
      if (argv.length === 2 && (argv[1] === '-l' || argv[1] === '--lines')) return { kind: 'wc' };
      return fail(argv.length < 2 ? 'wc: only "wc -l" is supported by dpsim after "|"' : `wc: "${argv.slice(1).find((a) => a !== '-l') ?? argv[1]}" is not supported by dpsim (only "wc -l")`);
    case 'sort':
      return parseSort(argv, fail);
    default:
      return fail(`pipe into "${argv[0] ?? ''}" is not supported by dpsim (only ${FILTER_PROGRAMS.join(', ')} may follow "|")`);
  }
}

function parseGrep(argv: readonly string[], fail: (m: string) => never): Filter {
  let invert = false;
  let ere = false;
  let icase = false;
  let count = false;
  let pattern: string | null = null;
  const operands: string[] = [];
  let options = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (options && a === '--') options = false;
    else if (options && a.startsWith('--') && a.length > 2) {
      const long: Record<string, () => void> = {
        '--invert-match': () => (invert = true),
        '--extended-regexp': () => (ere = true),
        '--basic-regexp': () => (ere = false),
        '--ignore-case': () => (icase = true),
        '--count': () => (count = true),
      };
      const eq = a.indexOf('=');
      if (eq > 0 && a.slice(0, eq) === '--regexp') {
        if (pattern !== null) fail(`grep: a second pattern "${a}" is not supported by dpsim`);
        pattern = a.slice(eq + 1);
      } else if (long[a] !== undefined) long[a]();
      else fail(`grep: option "${a}" is not supported by dpsim`);
    } else if (options && a.startsWith('-') && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k]!;
        if (c === 'v') invert = true;
        else if (c === 'E') ere = true;
        else if (c === 'G') ere = false;
        else if (c === 'i' || c === 'y') icase = true;
        else if (c === 'c') count = true;
        else if (c === 'e') {
          const rest = a.slice(k + 1);
          const value = rest !== '' ? rest : argv[++i];
          if (value === undefined) fail('grep: option "-e" needs a pattern');
          if (pattern !== null) fail(`grep: a second pattern "${value}" is not supported by dpsim`);
          pattern = value;
          break;
        } else fail(`grep: option "-${c}" is not supported by dpsim (only -v, -E, -i, -c, -e)`);
      }
    } else operands.push(a);
  }
  if (pattern === null) {
    const p = operands.shift();
    if (p === undefined) fail('grep: a pattern is needed');
    pattern = p;
  }
  if (operands.length > 0) fail(`grep: file operand "${operands[0]}" is not supported by dpsim (grep reads the pipe)`);
  if (pattern.includes('\n')) fail('grep: a pattern with several lines is not supported by dpsim');
  let source: string;
  try {
    source = posixToJs(pattern, ere);
  } catch (e) {
    return fail(`grep: ${(e as Error).message} in pattern "${pattern}"`);
  }
  let re: RegExp;
  try {
    re = new RegExp(source, icase ? 'i' : '');
  } catch {
    return fail(`grep: invalid pattern "${pattern}"`);
  }
  return { kind: 'grep', pattern: re, invert, count, nothing: invert && pattern === '' };
}

/** `head -n N`, `head -N`, `head -nN`, `head -n -N`; `tail -n N`, `tail -N`, `tail -n +N`. */
function parseHeadTail(name: 'head' | 'tail', argv: readonly string[], fail: (m: string) => never): Filter {
  let spec: string | null = null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    let value: string | undefined;
    if (a === '-n' || a === '--lines') value = argv[++i];
    else if (a.startsWith('--lines=')) value = a.slice(8);
    else if (/^-n./.test(a)) value = a.slice(2);
    else if (/^-[0-9]+$/.test(a)) value = a.slice(1);
    else if (a.startsWith('-') && a.length > 1) fail(`${name}: option "${a}" is not supported by dpsim (only -n N)`);
    else fail(`${name}: file operand "${a}" is not supported by dpsim (${name} reads the pipe)`);
    if (value === undefined) fail(`${name}: option "${a}" needs a number of lines`);
    spec = value;
  }
  spec ??= '10';
  const m = /^([+-]?)([0-9]+)$/.exec(spec);
  if (m === null) fail(`${name}: invalid number of lines: "${spec}"`);
  const lines = Number(m[2]);
  if (!Number.isSafeInteger(lines)) fail(`${name}: number of lines "${spec}" is too large`);
  if (name === 'head') {
    if (m[1] === '+') fail(`${name}: invalid number of lines: "${spec}"`);
    return { kind: 'head', lines, allBut: m[1] === '-' };
  }
  if (m[1] === '-') fail(`tail: invalid number of lines: "${spec}"`);
  return { kind: 'tail', lines, fromLine: m[1] === '+' };
}

function parseSort(argv: readonly string[], fail: (m: string) => never): Filter {
  let reverse = false;
  let unique = false;
  for (const a of argv.slice(1)) {
    if (a === '--reverse') reverse = true;
    else if (a === '--unique') unique = true;
    else if (/^-[ru]+$/.test(a)) {
      if (a.includes('r')) reverse = true;
      if (a.includes('u')) unique = true;
    } else if (a.startsWith('-') && a.length > 1) fail(`sort: option "${a}" is not supported by dpsim (only -r, -u)`);
    else fail(`sort: file operand "${a}" is not supported by dpsim (sort reads the pipe)`);
  }
  return { kind: 'sort', reverse, unique };
}

// ---- the text functions ----

/** The lines of a text, each with its newline (the last one may lack it). */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

function body(line: string): string {
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}

/** `grep [-v] [-c]`: the lines that match (or don't), each newline-terminated; or their count. */
export function grepText(text: string, pattern: RegExp, invert: boolean, count: boolean): string {
  let out = '';
  let n = 0;
  for (const line of splitLines(text)) {
    const b = body(line);
    if (pattern.test(b) !== invert) {
      n++;
      if (!count) out += b + '\n';
    }
  }
  return count ? `${n}\n` : out;
}

/** `head -n N` (the first N lines, as they are) or `head -n -N` (all but the last N). */
export function headText(text: string, lines: number, allBut = false): string {
  const all = splitLines(text);
  return all.slice(0, allBut ? Math.max(0, all.length - lines) : lines).join('');
}

/** `tail -n N` (the last N lines, as they are) or `tail -n +N` (from line N on). */
export function tailText(text: string, lines: number, fromLine = false): string {
  const all = splitLines(text);
  if (fromLine) return all.slice(Math.max(0, lines - 1)).join('');
  return lines === 0 ? '' : all.slice(-lines).join('');
}

/** `wc -l`: the number of newlines. */
export function wcLines(text: string): string {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return `${n}\n`;
}

/** Bytewise (UTF-8) comparison, as `sort` compares in the C locale. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** `sort [-r] [-u]` in the C locale: lines ordered bytewise, each newline-terminated. */
export function sortText(text: string, reverse = false, unique = false): string {
  const lines = splitLines(text).map(body);
  lines.sort((a, b) => (reverse ? compareBytes(b, a) : compareBytes(a, b)));
  let out = '';
  let prev: string | null = null;
  for (const l of lines) {
    if (unique && prev === l) continue;
    out += l + '\n';
    prev = l;
  }
  return out;
}

/** Runs one filter over a text. */
export function applyFilter(f: Filter, text: string): string {
  switch (f.kind) {
    case 'grep':
      return f.nothing ? '' : grepText(text, f.pattern, f.invert, f.count);
    case 'head':
      return headText(text, f.lines, f.allBut);
    case 'tail':
      return tailText(text, f.lines, f.fromLine);
    case 'wc':
      return wcLines(text);
    case 'sort':
      return sortText(text, f.reverse, f.unique);
  }
}

/** Runs the filters in order over a command's output. */
export function runFilters(filters: readonly Filter[], text: string): string {
  let out = text;
  for (const f of filters) out = applyFilter(f, out);
  return out;
}

// ---- POSIX regular expressions to JavaScript ----

const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

/** A character as a literal in a JavaScript regular expression. */
function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/**
 * Translates a GNU grep basic (BRE) or extended (ERE) regular expression into the
 * JavaScript one that matches the same lines: `\(\)\{\}\|\+\?` are operators in a BRE and
 * their bare forms literals, `*` at the start of an expression is literal, `^`/`$` anchor
 * only at the ends of a BRE (anywhere in an ERE), brackets with POSIX classes, a `{` that
 * does not start an interval is literal in an ERE, back-references, and GNU's `\w \W \s \S
 * \b \B \< \>`. Throws an Error (with grep's wording) for what grep refuses.
 */
export function posixToJs(pattern: string, ere: boolean): string {
  let out = '';
  let groups = 0;
  /** Where each open group starts in `out`. */
  const open: number[] = [];
  /** Where the last atom starts in `out` (-1: none, a quantifier here applies to nothing). */
  let atom = -1;
  /** Whether the last atom already has a quantifier (a second one wraps it, as `a**` means `(a*)*`). */
  let quantified = false;
  /** Whether the next token is at the start of an expression (where a quantifier is literal in a BRE). */
  let atStart = true;

  const emitAtom = (text: string): void => {
    atom = out.length;
    out += text;
    quantified = false;
    atStart = false;
  };
  /** A quantifier: literal at the start of a BRE, applying to nothing (dropped) at the start of an ERE. */
  const emitQuantifier = (q: string, literalText: string): void => {
    if (atom < 0) {
      if (!ere) emitAtom(literalText);
      return;
    }
    if (quantified) out = `${out.slice(0, atom)}(?:${out.slice(atom)})`;
    out += q;
    quantified = true;
    atStart = false;
  };
  /** An assertion; in an ERE a quantifier may follow it (`^*` is zero or more empty matches), so it is an atom there. */
  const emitAnchor = (text: string): void => {
    if (ere) {
      atom = out.length;
      out += `(?:${text})`;
    } else {
      atom = -1;
      out += text;
    }
    quantified = false;
  };

  /** Whether the last token was a `^` anchor (a second `^` is literal in a BRE). */
  let afterCaret = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const startHere = atStart;
    const caretBefore = afterCaret;
    afterCaret = false;
    const op = ere ? ('()|{+?*'.includes(c) ? c : null) : c === '*' ? '*' : c === '\\' && i + 1 < pattern.length && '()|{}+?'.includes(pattern[i + 1]!) ? pattern[++i]! : null;
    if (op !== null) {
      switch (op) {
        case '(':
          groups++;
          open.push(out.length);
          out += '(';
          atom = -1;
          quantified = false;
          atStart = true;
          continue;
        case ')': {
          const start = open.pop();
          if (start === undefined) {
            if (ere) emitAtom('\\)');
            else throw new Error('unmatched ) or \\)');
            continue;
          }
          out += ')';
          atom = start;
          quantified = false;
          atStart = false;
          continue;
        }
        case '|':
          out += '|';
          atom = -1;
          quantified = false;
          atStart = true;
          continue;
        case '}':
          emitAtom('\\}');
          continue;
        case '*':
        case '+':
        case '?':
          // GNU grep (glibc regex) refuses `(+` and `(?` in an ERE.
          if (ere && op !== '*' && out.endsWith('(') && open.length > 0 && atom < 0 && !caretBefore)
            throw new Error('unmatched ( or \\(');
          if (startHere && !ere) emitAtom(literal(op));
          else emitQuantifier(op, literal(op));
          continue;
        default: {
          // `{` (ERE) or `\{` (BRE): an interval.
          const close = ere ? '}' : '\\}';
          const end = pattern.indexOf(close, i + 1);
          const inner = end < 0 ? null : pattern.slice(i + 1, end);
          const m = inner === null ? null : /^([0-9]*)(,([0-9]*))?$/.exec(inner);
          if (ere && inner === '' && atom >= 0) throw new Error('invalid content of \\{\\}');
          if (m === null || (m[1] === '' && m[2] === undefined)) {
            if (ere) emitAtom('\\{');
            else throw new Error('unmatched \\{');
            continue;
          }
          if (startHere && !ere) {
            emitAtom('\\{');
            continue;
          }
          const lo = m[1] === '' ? 0 : Number(m[1]);
          const hi = m[2] === undefined ? lo : m[3] === '' ? null : Number(m[3]);
          if (lo > 32767 || (hi !== null && hi > 32767)) throw new Error('regular expression too big');
          if (hi !== null && hi < lo) throw new Error('invalid content of \\{\\}');
          emitQuantifier(hi === lo ? `{${lo}}` : `{${lo},${hi ?? ''}}`, '\\{');
          i = end + close.length - 1;
          continue;
        }
      }
    }
    if (c === '\\') {
      const n = pattern[++i];
      if (n === undefined) throw new Error('trailing backslash');
      if (/[1-9]/.test(n)) {
        if (Number(n) > groups) throw new Error('invalid back reference');
        emitAtom(`\\${n}`);
      } else if ('wWsS'.includes(n)) emitAtom(`\\${n}`);
      else if (n === 'b' || n === 'B') emitAnchor(`\\${n}`);
      else if (n === '<') emitAnchor('\\b(?=\\w)');
      else if (n === '>') emitAnchor('\\b(?<=\\w)');
      else if (n === '`') emitAnchor('^');
      else if (n === "'") emitAnchor('$');
      else if (/[A-Za-z0-9]/.test(n)) throw new Error(`escape "\\${n}" is not supported by dpsim`);
      else emitAtom(literal(n));
      continue;
    }
    if (c === '[') {
      const r = bracket(pattern, i);
      emitAtom(r.text);
      i = r.next;
      continue;
    }
    if (c === '^') {
      // In a BRE, `^` anchors only at the start of the expression or of a group or branch.
      if (ere || (startHere && !caretBefore)) {
        emitAnchor('^');
        atStart = true;
        afterCaret = true;
        continue;
      }
      emitAtom('\\^');
      continue;
    }
    if (c === '$') {
      const rest = pattern.slice(i + 1);
      if (ere || rest === '' || rest.startsWith('\\)') || rest.startsWith('\\|')) emitAnchor('$');
      else emitAtom('\\$');
      continue;
    }
    emitAtom(c === '.' ? '.' : literal(c));
  }
  if (open.length > 0) throw new Error('unmatched ( or \\(');
  return out;
}

/** A bracket expression starting at pattern[i] (`[`): its JavaScript class and where it ends. */
function bracket(p: string, i: number): { text: string; next: number } {
  let k = i + 1;
  let negate = false;
  if (p[k] === '^') {
    negate = true;
    k++;
  }
  let body = '';
  let first = true;
  for (;;) {
    const c = p[k];
    if (c === undefined) throw new Error('unmatched [, [^, [:, [., or [=');
    if (c === ']' && !first) break;
    first = false;
    if (c === '[' && (p[k + 1] === ':' || p[k + 1] === '.' || p[k + 1] === '=')) {
      const kind = p[k + 1]!;
      const end = p.indexOf(`${kind}]`, k + 2);
      if (end < 0) throw new Error('unmatched [, [^, [:, [., or [=');
      const name = p.slice(k + 2, end);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new Error(`invalid character class "${name}"`);
        body += cls;
      } else if (name.length === 1) body += literal(name);
      else throw new Error(`collating element "${name}" is not supported by dpsim`);
      k = end + 2;
      continue;
    }
    if (c === '-' && body !== '' && p[k + 1] !== ']') body += '-';
    else body += literal(c);
    k++;
  }
  return { text: `[${negate ? '^' : ''}${body}]`, next: k };
}
