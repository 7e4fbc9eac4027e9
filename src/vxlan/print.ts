/**
 * What the tools print about a VXLAN device, byte for byte as on this machine: its lines of
 * `bridge fdb show` (vxlan_fdb_dump, one per remote) and its part of `ip -d link show`.
 */
import { NUD_NOARP, NUD_PERMANENT } from '../netns/neighbour.js';
import { formatIPv4, formatMac } from '../packet/address.js';
import type { VxlanDevice } from './vxlan.js';

function stateWord(state: number): string {
  if ((state & NUD_PERMANENT) !== 0) return 'permanent';
  if ((state & NUD_NOARP) !== 0) return 'static';
  return '';
}

/**
 * The device's FDB as `bridge fdb show` prints it: `MAC [dev NAME ]dst IP [port P ][vni V ]
 * [via DEV ]self STATE`, port and VNI only where they differ from the device's, entries newest first.
 */
export function vxlanFdbLines(dev: VxlanDevice, showDev: boolean): string[] {
  const lines: string[] = [];
  const now = dev.ns.net.now;
  for (const e of dev.fdb.table.entries()) {
    const state = e.ages && dev.fdb.table.expired(e, now) ? 'stale' : stateWord(e.state);
    for (const r of e.remotes) {
      let line = `${formatMac(e.mac)} `;
      if (showDev) line += `dev ${dev.name} `;
      if (r.ip !== 0) line += `dst ${formatIPv4(r.ip)} `;
      if (r.port !== dev.dstPort) line += `port ${r.port} `;
      if (r.vni !== dev.vni) line += `vni ${r.vni} `;
      if (r.ifindex !== 0) line += `via ${dev.ns.deviceByIndex(r.ifindex)?.name ?? `if${r.ifindex}`} `;
      lines.push(`${line}self ${state}\n`);
    }
  }
  return lines;
}

/** The VXLAN part of `ip -d link show DEV` (vxlan_print_opt), ending with a space as ip prints it. */
export function vxlanLinkDetails(dev: VxlanDevice): string {
  let s = `vxlan id ${dev.vni} `;
  if (dev.local !== 0) s += `local ${formatIPv4(dev.local)} `;
  if (dev.lower !== null) s += `dev ${dev.lower.name} `;
  s += `srcport ${dev.portMin} ${dev.portMax} dstport ${dev.dstPort} `;
  if (!dev.learning) s += 'nolearning ';
  if (dev.tos === 1) s += 'tos inherit ';
  else if (dev.tos !== 0) s += `tos 0x${dev.tos.toString(16)} `;
  s += dev.ttl === 0 ? 'ttl auto ' : `ttl ${dev.ttl} `;
  s += `ageing ${Math.floor(dev.fdb.table.ageingTime / 1_000_000_000)} `;
  s += 'udpcsum noudp6zerocsumtx noudp6zerocsumrx ';
  return s;
}
