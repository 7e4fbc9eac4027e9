/** Option parsers the dpsim subcommands share. */
import { InvalidArgumentError } from 'commander';

/** `--seed N`: a non-negative integer. */
export function seedOf(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError('the seed is a non-negative integer.');
  return Number(text);
}
