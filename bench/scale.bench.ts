/**
 * The 20,000-service iptables-vs-IPVS benchmark (issue 8), as `dpsim bench` runs it:
 * npx tsx bench/scale.bench.ts [dpsim bench options]   e.g. --quick, --services 1000,20000,
 * --json bench/results/x.json --html bench/results/x.html. As root it also times the real
 * kernel in a private namespace (--no-kernel skips that).
 */
import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from '../src/cli/bench.js';

const program = new Command('dpsim').exitOverride();
registerBenchCommand(program);
try {
  await program.parseAsync(['bench', ...process.argv.slice(2)], { from: 'user' });
} catch (e) {
  // Commander has printed the usage error; exit 2 as dpsim does.
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? 0 : 2;
}
