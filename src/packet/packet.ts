/**
 * The packet: one class with a fixed shape for every frame dpsim moves.
 *
 * Headers are plain numeric fields (addresses are unsigned 32-bit numbers, MACs 48-bit
 * numbers), so the hot path never parses or builds strings. A frame is Ethernet II carrying
 * either ARP or IPv4; IPv4 carries ICMP, UDP or TCP. Two kinds of packet nest another:
 * an ICMP error quotes the offending datagram (`inner`: its IPv4 header and first 8 bytes
 * of transport header), and a VXLAN datagram (UDP with `vxlanVni >= 0`) carries a whole
 * inner Ethernet frame (`inner`).
 */
export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETERPROB = 12;

/** Codes of ICMP_DEST_UNREACH (RFC 792, RFC 1812). */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_NET_ANO = 9;
export const ICMP_HOST_ANO = 10;
export const ICMP_PKT_FILTERED = 13;

/** Codes of ICMP_REDIRECT. */
export const ICMP_REDIR_NET = 0;
export const ICMP_REDIR_HOST = 1;

/** Codes of ICMP_TIME_EXCEEDED. */
export const ICMP_EXC_TTL = 0;
export const ICMP_EXC_FRAGTIME = 1;

/** TCP flag bits as they sit in the header's 13th byte. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export const ETH_HLEN = 14;
export const IPV4_HLEN = 20;
export const UDP_HLEN = 8;
export const TCP_HLEN = 20;
export const ICMP_HLEN = 8;
export const ARP_PLEN = 28;
export const VXLAN_HLEN = 8;

export const MAC_BROADCAST = 0xffffffffffff;

/** The UDP port flannel's VXLAN device listens on (Linux's historical default; IANA's is 4789). */
export const VXLAN_PORT = 8472;

/** True for the ICMP types that quote the offending datagram (RFC 792): unreachable, source quench, redirect, time exceeded, parameter problem. */
export function isIcmpError(type: number): boolean {
  return (
    type === ICMP_DEST_UNREACH || type === ICMP_SOURCE_QUENCH || type === ICMP_REDIRECT || type === ICMP_TIME_EXCEEDED || type === ICMP_PARAMETERPROB
  );
}

/** True for the ICMP types whose rest-of-header word is an identifier and a sequence number (echo request and reply). */
export function isIcmpEcho(type: number): boolean {
  return type === ICMP_ECHO || type === ICMP_ECHOREPLY;
}

/**
 * Most bytes of the offending datagram an ICMP error quotes: Linux's icmp_send keeps the
 * whole error within 576 bytes (RFC 1812 4.3.2.3), so 576 - 20 - 8 = 548.
 */
export const ICMP_QUOTE_MAX = 576 - IPV4_HLEN - ICMP_HLEN;

let nextPacketId = 1;

/**
 * A bridge port as a packet's br_netfilter metadata names it (a NetDevice at run time; the
 * wire layer knows only its name and the namespace it belongs to).
 */
export interface PhysDev {
  readonly name: string;
  readonly ns: object;
}

export class Packet {
  /** A serial number, unique in the process: lets a trace tie copies and replies together. */
  id = nextPacketId++;

  // Ethernet II
  ethDst = 0;
  ethSrc = 0;
  ethType = 0;

  // ARP (Ethernet/IPv4 only)
  arpOp = 0;
  arpSha = 0;
  arpSpa = 0;
  arpTha = 0;
  arpTpa = 0;

  // IPv4
  ipTos = 0;
  ipId = 0;
  ipDf = false;
  ipTtl = 64;
  ipProto = 0;
  ipSrc = 0;
  ipDst = 0;

  // UDP and TCP
  sport = 0;
  dport = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpFlags = 0;
  tcpWindow = 0;
  /** Raw TCP option bytes (a multiple of 4), or null for none. */
  tcpOptions: Uint8Array | null = null;

  // ICMP
  icmpType = 0;
  icmpCode = 0;
  /** Echo identifier (echo request/reply). */
  icmpId = 0;
  /** Echo sequence number (echo request/reply). */
  icmpSeq = 0;
  /** The 32-bit rest-of-header word for errors: gateway of a redirect, next-hop MTU of frag-needed (low 16 bits). */
  icmpRest = 0;

  /** VXLAN network identifier when this UDP datagram is a VXLAN packet, else -1. */
  vxlanVni = -1;

  /** The quoted datagram of an ICMP error, or the inner Ethernet frame of a VXLAN packet. */
  inner: Packet | null = null;

  /** Application data (UDP/TCP payload, ICMP echo data). */
  payload: Uint8Array | null = null;

  // Metadata the kernel keeps beside the frame (skb fields), not on the wire.
  /** skb->mark */
  mark = 0;
  /**
   * PREROUTING already ran at the bridge layer (br_netfilter's nf_bridge state): the IP layer
   * of the same namespace skips it (ip_sabotage_in). Cleared when the frame leaves the namespace.
   */
  nfBridgePrerouted = false;
  /**
   * nf_bridge_info->physindev: the bridge port the frame came in through, set by br_netfilter
   * and kept while the packet is routed on in the same namespace (xt_physdev reads it); null
   * when the frame did not come through a bridge port with bridge-nf-call-iptables.
   */
  physIn: PhysDev | null = null;
  /** nf_bridge_info->physoutdev: the bridge port a bridged frame leaves by (FORWARD, POSTROUTING of the bridge), else null. */
  physOut: PhysDev | null = null;
  /**
   * skb->_nfct: the connection (a conntrack Conn) the tracker `ctOwner` associated the packet
   * with, or null (INVALID, UNTRACKED or not looked up). Read and written by src/conntrack only.
   */
  ct: object | null = null;
  /** skb's ctinfo (IP_CT_*) as `ctOwner` set it; -1 when none. */
  ctinfo = -1;
  /** The tracker (one per namespace) that set `ct`/`ctinfo`; another namespace's tracker sees no connection. */
  ctOwner: object | null = null;
  /** Conntrack in leaves the packet as it is at its next hook (NOTRACK just set, or IPVS sends it on with its connection). */
  ctKeep = false;

  /** Length of the transport payload in bytes. */
  get payloadLength(): number {
    return this.payload === null ? 0 : this.payload.length;
  }

  /** A deep copy with a new id (the inner packet is copied too). */
  clone(): Packet {
    const p = new Packet();
    p.ethDst = this.ethDst;
    p.ethSrc = this.ethSrc;
    p.ethType = this.ethType;
    p.arpOp = this.arpOp;
    p.arpSha = this.arpSha;
    p.arpSpa = this.arpSpa;
    p.arpTha = this.arpTha;
    p.arpTpa = this.arpTpa;
    p.ipTos = this.ipTos;
    p.ipId = this.ipId;
    p.ipDf = this.ipDf;
    p.ipTtl = this.ipTtl;
    p.ipProto = this.ipProto;
    p.ipSrc = this.ipSrc;
    p.ipDst = this.ipDst;
    p.sport = this.sport;
    p.dport = this.dport;
    p.tcpSeq = this.tcpSeq;
    p.tcpAck = this.tcpAck;
    p.tcpFlags = this.tcpFlags;
    p.tcpWindow = this.tcpWindow;
    p.tcpOptions = this.tcpOptions;
    p.icmpType = this.icmpType;
    p.icmpCode = this.icmpCode;
    p.icmpId = this.icmpId;
    p.icmpSeq = this.icmpSeq;
    p.icmpRest = this.icmpRest;
    p.vxlanVni = this.vxlanVni;
    p.inner = this.inner === null ? null : this.inner.clone();
    p.payload = this.payload;
    p.mark = this.mark;
    p.nfBridgePrerouted = this.nfBridgePrerouted;
    // skb_clone keeps the connection reference and the bridge netfilter state (nf_copy).
    p.physIn = this.physIn;
    p.physOut = this.physOut;
    p.ct = this.ct;
    p.ctinfo = this.ctinfo;
    p.ctOwner = this.ctOwner;
    p.ctKeep = this.ctKeep;
    return p;
  }

  /** Length of the IPv4 datagram (header + transport), as the total-length field carries it. */
  ipTotalLength(): number {
    return IPV4_HLEN + this.transportLength();
  }

  /** Length of the transport header plus its payload. */
  transportLength(): number {
    switch (this.ipProto) {
      case IPPROTO_UDP:
        return UDP_HLEN + (this.vxlanVni >= 0 && this.inner !== null ? VXLAN_HLEN + this.inner.frameLength() : this.payloadLength);
      case IPPROTO_TCP:
        return TCP_HLEN + (this.tcpOptions === null ? 0 : this.tcpOptions.length) + this.payloadLength;
      case IPPROTO_ICMP:
        return ICMP_HLEN + (this.inner !== null ? this.inner.quotedLength() : this.payloadLength);
      default:
        return this.payloadLength;
    }
  }

  /**
   * Bytes an ICMP error quotes of this datagram: as much as fits, up to ICMP_QUOTE_MAX, as
   * Linux does (RFC 792's minimum is the IPv4 header and 8 bytes; the kernel sends more).
   */
  quotedLength(): number {
    return Math.min(this.ipTotalLength(), ICMP_QUOTE_MAX);
  }

  /** Length of the whole Ethernet frame (no FCS, no padding). */
  frameLength(): number {
    return ETH_HLEN + (this.ethType === ETH_P_ARP ? ARP_PLEN : this.ipTotalLength());
  }
}
