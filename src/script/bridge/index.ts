/**
 * The bridge tools in scenarios: the `bridge` and `brctl` commands, `ip link add … type
 * bridge|vxlan`, `ip link set … type bridge|bridge_slave`, and the net.bridge.* sysctls.
 * Importing this module registers the link kinds and the sysctls; the command registry
 * (../commands.ts) lists the two commands.
 */
import { registerLinkKind, registerLinkTypeSetter } from '../ip/link.js';
import { registerSysctlResolver } from '../sysctl.js';
import { createBridge, createVxlan, setBridge, setBridgeSlave } from './link-kinds.js';
import { resolveBridgeSysctl } from './sysctl.js';

export { bridgeCommand } from './bridge-tool.js';
export { brctlCommand } from './brctl.js';

registerLinkKind('bridge', createBridge);
registerLinkKind('vxlan', createVxlan);
registerLinkTypeSetter('bridge', setBridge);
registerLinkTypeSetter('bridge_slave', setBridgeSlave);
registerSysctlResolver(resolveBridgeSysctl);
