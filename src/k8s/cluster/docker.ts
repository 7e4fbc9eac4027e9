/**
 * What Docker (18.09, the talk's era) leaves on a kubeadm node with docker0: its nat DOCKER
 * chain and masquerade for 172.17.0.0/16, and in the filter table a FORWARD policy of DROP
 * with its own accept rules for docker0. The DROP policy matters: after `iptables -F` only
 * the rules kube-proxy and flannel put back let forwarded pod traffic through again.
 */
export const DOCKER_BRIDGE_CIDR = '172.17.0.0/16';

export function dockerRestoreText(): string {
  return [
    '*nat',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER',
    `-A POSTROUTING -s ${DOCKER_BRIDGE_CIDR} ! -o docker0 -j MASQUERADE`,
    '-A DOCKER -i docker0 -j RETURN',
    'COMMIT',
    '*filter',
    ':FORWARD DROP [0:0]',
    ':DOCKER - [0:0]',
    ':DOCKER-ISOLATION-STAGE-1 - [0:0]',
    ':DOCKER-ISOLATION-STAGE-2 - [0:0]',
    ':DOCKER-USER - [0:0]',
    '-A FORWARD -j DOCKER-USER',
    '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
    '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A FORWARD -o docker0 -j DOCKER',
    '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
    '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
    '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
    '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
    '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
    '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
    '-A DOCKER-USER -j RETURN',
    'COMMIT',
    '',
  ].join('\n');
}
