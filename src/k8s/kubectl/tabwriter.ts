/**
 * Go's text/tabwriter as kubectl configures it, for space padding: text is cut into cells at
 * tabs and lines at newlines; a column block is a run of consecutive lines that have a
 * tab-terminated cell in that column, and every cell of the block is padded to the widest
 * cell + padding (at least minWidth). The last cell of a line is not part of a column.
 */
export function tabwrite(text: string, minWidth: number, padding: number): string {
  const lines = text.split('\n');
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailingNewline) lines.pop();
  const cells = lines.map((l) => l.split('\t'));
  const out: string[] = new Array(cells.length).fill('');
  const widths: number[] = [];
  format(0, cells.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');

  function width(s: string): number {
    return [...s].length;
  }

  function writeLines(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const line = cells[i]!;
      let s = '';
      for (let j = 0; j < line.length; j++) {
        const c = line[j]!;
        s += c;
        if (j < widths.length && j < line.length - 1) s += ' '.repeat(Math.max(0, widths[j]! - width(c)));
      }
      out[i] = s;
    }
  }

  function format(line0: number, line1: number): void {
    const column = widths.length;
    for (let i = line0; i < line1; i++) {
      if (column >= cells[i]!.length - 1) continue;
      writeLines(line0, i);
      line0 = i;
      let w = minWidth;
      for (; i < line1; i++) {
        const line = cells[i]!;
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column]!) + padding);
      }
      widths.push(w);
      format(line0, i);
      widths.pop();
      line0 = i;
      i--; // the for loop's i++ resumes at the line that ended the block
    }
    writeLines(line0, line1);
  }
}

/** kubectl get's table writer: minwidth 6, padding 3 (cli-runtime's GetNewTabWriter). */
export function tableWrite(rows: string[][]): string {
  return tabwrite(rows.map((r) => r.join('\t')).join('\n') + '\n', 6, 3);
}

/** kubectl describe's writer: minwidth 0, padding 2 (tabbedString). */
export function describeWrite(text: string): string {
  return tabwrite(text, 0, 2);
}
