/**
 * The net.bridge.* sysctls (br_netfilter, built into this kernel, so every namespace has
 * them): six keys, each read back as 0 or 1 whatever was written (brnf_sysctl_call_tables
 * turns any other value into 1), while `sysctl -w` echoes the value as given.
 */
import type { NetNamespace } from '../../netns/namespace.js';
import { BRIDGE_NF_SYSCTL_KEYS, bridgeNfSysctls } from '../../bridge/br-netfilter.js';
import type { SysctlLookup } from '../sysctl.js';

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;

/** Resolves `net.bridge` and its keys; null for any other key. */
export function resolveBridgeSysctl(ns: NetNamespace, parts: readonly string[]): SysctlLookup | null {
  if (parts[0] !== 'net' || parts[1] !== 'bridge') return null;
  if (parts.length === 2) return { kind: 'directory' };
  const entry = parts.length === 3 ? BRIDGE_NF_SYSCTL_KEYS.find(([name]) => name === parts[2]) : undefined;
  if (entry === undefined) return { kind: 'missing' };
  const field = entry[1];
  return {
    kind: 'modelled',
    binding: {
      read: () => bridgeNfSysctls(ns)[field],
      write: (value) => {
        if (value < INT_MIN || value > INT_MAX) return false;
        bridgeNfSysctls(ns)[field] = value === 0 ? 0 : 1;
        return true;
      },
    },
  };
}
