/**
 * IPVS in scenarios: the `ipvsadm`, `ipvsadm-save` and `ipvsadm-restore` commands and the
 * net.ipv4.vs.* sysctls. Importing this module registers the sysctls.
 */
import { registerSysctlResolver } from '../sysctl.js';
import { resolveIpvsSysctl } from './sysctl.js';

export { IPVSADM_COMMANDS, ipvsadmCommand, ipvsadmRestoreCommand, ipvsadmSaveCommand } from './ipvsadm.js';

registerSysctlResolver(resolveIpvsSysctl);
