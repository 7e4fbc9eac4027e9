/** Per-device IPv4 settings: net.ipv4.conf.{all,default,DEV}.* (struct ipv4_devconf). */
export class InetConf {
  forwarding = 0;
  send_redirects = 1;
  accept_redirects = 1;
  rp_filter = 0;
  arp_ignore = 0;
  arp_announce = 0;
  proxy_arp = 0;
  accept_local = 0;
  route_localnet = 0;
  arp_accept = 0;

  clone(): InetConf {
    return Object.assign(new InetConf(), this);
  }
}

/** The keys of InetConf that sysctl can set, in `sysctl -a` order. */
export const INET_CONF_KEYS = [
  'accept_local',
  'accept_redirects',
  'arp_accept',
  'arp_announce',
  'arp_ignore',
  'forwarding',
  'proxy_arp',
  'route_localnet',
  'rp_filter',
  'send_redirects',
] as const;

export type InetConfKey = (typeof INET_CONF_KEYS)[number];

/** Neighbour-table parameters: net.ipv4.neigh.{default,DEV}.* (struct neigh_parms), times in ms. */
export class NeighParms {
  base_reachable_time_ms = 30_000;
  delay_first_probe_time = 5; // seconds, as the sysctl takes it
  retrans_time_ms = 1_000;
  ucast_solicit = 3;
  mcast_solicit = 3;
  app_solicit = 0;
  mcast_resolicit = 0;
  gc_stale_time = 60; // seconds
  unres_qlen_bytes = 212_992;

  clone(): NeighParms {
    return Object.assign(new NeighParms(), this);
  }
}

export const NEIGH_PARM_KEYS = [
  'app_solicit',
  'base_reachable_time_ms',
  'delay_first_probe_time',
  'gc_stale_time',
  'mcast_resolicit',
  'mcast_solicit',
  'retrans_time_ms',
  'ucast_solicit',
  'unres_qlen_bytes',
] as const;

export type NeighParmKey = (typeof NEIGH_PARM_KEYS)[number];

/** Namespace-wide IPv4 settings (net.ipv4.*) that are not per device. */
export class Ipv4Sysctls {
  ip_default_ttl = 64;
  /** ms between ICMP errors to one peer (icmp_ratelimit). */
  icmp_ratelimit = 1000;
  /** Types rate-limited: dest unreach, source quench, time exceeded, parameter problem. */
  icmp_ratemask = 6168;
  icmp_msgs_per_sec = 1000;
  icmp_msgs_burst = 50;
  icmp_echo_ignore_all = 0;
  icmp_errors_use_inbound_ifaddr = 0;
  ip_no_pmtu_disc = 0;
}
