import { SEC } from '../sim/time.js';

/**
 * Per-remote-address state shared by the ICMP rate limits (struct inet_peer): ip_error,
 * icmpv4_xrlim_allow and ip_rt_send_redirect all read and write the same token count and
 * timestamp, so one limit's use is seen by the others.
 */
export class InetPeer {
  /** rate_tokens, in ns of credit. */
  tokens = 0;
  /** rate_last. A new peer's lies 60 s in the past, so its first refill starts at full burst. */
  last: number;
  /** n_redirects. */
  redirects = 0;

  constructor(now: number) {
    this.last = now - 60 * SEC;
  }

  /** inet_peer_xrlim_allow: a token bucket of `timeout` per message, bursting to 6 messages. */
  xrlimAllow(now: number, timeout: number): boolean {
    let token = this.tokens + (now - this.last);
    this.last = now;
    if (token > 6 * timeout) token = 6 * timeout;
    let ok = false;
    if (token >= timeout) {
      token -= timeout;
      ok = true;
    }
    this.tokens = token;
    return ok;
  }
}

/** The peers of a namespace, by address (the kernel's inet_peer base). */
export class InetPeers {
  private readonly peers = new Map<number, InetPeer>();

  get(addr: number, now: number): InetPeer {
    let peer = this.peers.get(addr);
    if (peer === undefined) {
      peer = new InetPeer(now);
      this.peers.set(addr, peer);
    }
    return peer;
  }
}
