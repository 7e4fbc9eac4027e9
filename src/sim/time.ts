/** Virtual time is counted in nanoseconds, as a plain number (exact up to 104 days). */
export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;

/** Kernel jiffies are 4 ms at HZ=250 (Debian's default); timers the kernel rounds to jiffies round to this. */
export const JIFFY = 4 * MS;

/** Renders a duration as the shortest of "1.5s", "200ms", "3us", "7ns". */
export function formatDuration(ns: number): string {
  if (ns >= SEC) return `${+(ns / SEC).toFixed(3)}s`;
  if (ns >= MS) return `${+(ns / MS).toFixed(3)}ms`;
  if (ns >= US) return `${+(ns / US).toFixed(3)}us`;
  return `${ns}ns`;
}

/** Parses `sleep`-style durations: "5", "1.5s", "200ms", "2m", "1h". */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)?$/.exec(text);
  if (m === null) return null;
  const value = Number(m[1]);
  switch (m[2] ?? 's') {
    case 'ns': return Math.round(value);
    case 'us': return Math.round(value * US);
    case 'ms': return Math.round(value * MS);
    case 's': return Math.round(value * SEC);
    case 'm': return Math.round(value * 60 * SEC);
    default: return Math.round(value * 3600 * SEC);
  }
}
