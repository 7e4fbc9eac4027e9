/**
 * Connection tracking in scenarios: the `conntrack` command and the net.netfilter.* sysctls.
 * Importing this module registers the sysctls; the command registry (../commands.ts) lists the command.
 */
import { registerSysctlResolver } from '../sysctl.js';
import { resolveNetfilterSysctl } from './sysctl.js';

export { conntrackCommand } from './conntrack-tool.js';

registerSysctlResolver(resolveNetfilterSysctl);
