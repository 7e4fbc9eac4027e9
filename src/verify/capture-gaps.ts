/**
 * Known capture gaps: packets the kernel really sends or receives but its own tcpdump does
 * not show, so a dpsim capture line the kernel never showed is not a failure when it matches
 * one of these. Each entry says why the gap is tcpdump's and not dpsim's; add only what an
 * experiment on the kernel proved (see KERNEL-NOTES.md).
 */

/** A kind of packet tcpdump misses. */
export interface CaptureGap {
  /** A short name, shown when a comparison excuses a line. */
  name: string;
  /** Why tcpdump does not show it although the kernel handles it (the experiment that proved it). */
  why: string;
  /** Whether a dpsim capture line that the kernel never showed is this gap. */
  matches(line: string): boolean;
}

/** The gaps the comparison excuses. None is known yet: every packet dpsim showed so far was seen by tcpdump too. */
export const CAPTURE_GAPS: readonly CaptureGap[] = [];
