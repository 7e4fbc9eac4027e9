/**
 * The iptables rules flanneld keeps on every node (pkg/trafficmngr/iptables: MasqRules and
 * ForwardRules, on a kernel whose iptables has --random-fully), as the iptables-restore
 * text flannel's bootstrap hands to `iptables-restore --noflush`: the jumps inserted at the
 * top of POSTROUTING and FORWARD, then its own chains.
 */
import { formatIPv4 } from '../../packet/address.js';

const MASQ = '-m comment --comment "flanneld masq"';
const FWD = '-m comment --comment "flanneld forward"';
/** kube-proxy's masquerade mark (flannel hard-codes the default bit 14). */
const KUBE_PROXY_MARK = '0x4000/0x4000';

function cidr(addr: number, len: number): string {
  return `${formatIPv4(addr)}/${len}`;
}

/** flannel's chains and the built-in chains that jump to them. */
export const FLANNEL_CHAINS = { nat: ['POSTROUTING', 'FLANNEL-POSTRTG', 5], filter: ['FORWARD', 'FLANNEL-FWD', 2] } as const;

/**
 * The restore text for a node whose lease is `subnet` in the flannel network `network`.
 * Declaring a chain in a --noflush restore empties it, so the text re-creates flannel's
 * chains whole; the jumps are inserted only where `jumps` says they are missing.
 */
export function flannelRestoreText(
  network: { addr: number; prefixLen: number },
  subnet: { addr: number; prefixLen: number },
  jumps: { nat: boolean; filter: boolean } = { nat: true, filter: true },
): string {
  const n = cidr(network.addr, network.prefixLen);
  const sn = cidr(subnet.addr, subnet.prefixLen);
  return [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    ...(jumps.nat ? [`-I POSTROUTING 1 ${MASQ} -j FLANNEL-POSTRTG`] : []),
    `-A FLANNEL-POSTRTG -m mark --mark ${KUBE_PROXY_MARK} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${n} -d ${n} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${n} ! -d 224.0.0.0/4 ${MASQ} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${n} -d ${sn} ${MASQ} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${n} -d ${n} ${MASQ} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    ...(jumps.filter ? [`-I FORWARD 1 ${FWD} -j FLANNEL-FWD`] : []),
    `-A FLANNEL-FWD -s ${n} ${FWD} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${n} ${FWD} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}
