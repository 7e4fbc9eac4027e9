/**
 * The normaliser: turns what `tcpdump -i any -n -tt` printed inside each namespace into
 * capture lines (shared/CAPTURE.md) and merges the namespaces' captures into one causal order.
 *
 * tcpdump decodes some UDP ports as application protocols (53 DNS, 67/68 BOOTP, 123 NTP,
 * 161 SNMP, 520 RIP, 4789 VXLAN, 8472 OTV …) and prints whatever it makes of the payload
 * after the addresses; the normaliser reads only the addresses, ports and, for TCP, the
 * flags, so such decodes cannot disturb it. A packet printed on several lines (a VXLAN
 * datagram's inner frame) continues on lines that do not start with a timestamp. A UDP
 * datagram to port 8472 with a VXLAN header (flannel's, the one dpsim models) is VXLAN.
 */

/** A capture line with the time tcpdump stamped it (ns since the epoch). */
export interface TimedLine {
  time: bigint;
  line: string;
}

/** A tcpdump line the normaliser cannot read: a packet kind the capture format does not know. */
export class UnreadableTcpdumpLine extends Error {
  constructor(readonly text: string) {
    super(`cannot normalise tcpdump line: ${text}`);
    this.name = 'UnreadableTcpdumpLine';
  }
}

const IPV4 = String.raw`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`;
const ANY_LINE = /^(\d+)\.(\d+) (\S+)\s+(In|Out|B|M|P)\s+(.*)$/;
const TIMESTAMP = /^\d+\.\d+ /;
const IP_PACKET = new RegExp(`^IP (${IPV4})(?:\\.(\\d+))? > (${IPV4})(?:\\.(\\d+))?: ?(.*)$`);
const ARP_REQUEST = new RegExp(`^ARP, Request who-has (${IPV4})(?: \\([0-9a-f:]+\\))? tell (${IPV4}), length \\d+$`);
const ARP_REPLY = new RegExp(`^ARP, Reply (${IPV4}) is-at [0-9a-f:]+, length \\d+$`);
const TCP_FLAGS = /^Flags \[([^\]]*)\]/;
/** flannel's VXLAN port, the one dpsim models (tcpdump decodes it as OTV); 4789 stays plain UDP, as in src/packet/decode.ts. */
const VXLAN_PORT = '8472';
const VXLAN_HEADER = /^OTV, flags \[I\]/;

/**
 * The capture-format part after `<netns> <dev> <dir>` for the text tcpdump prints after its
 * link columns (e.g. `IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 64`
 * → `icmp 10.0.0.1 > 10.0.0.2 echo request`); null for what the format leaves out (IPv6,
 * IGMP). Throws UnreadableTcpdumpLine for anything else it does not know.
 */
export function describePacket(text: string): string | null {
  if (text.startsWith('IP6 ')) return null;
  if (text.startsWith('ARP, ')) return describeArp(text);
  const ip = IP_PACKET.exec(text);
  if (ip === null) throw new UnreadableTcpdumpLine(text);
  const [, src, sport, dst, dport, rest] = ip as unknown as [string, string, string | undefined, string, string | undefined, string];
  if (sport !== undefined && dport !== undefined) {
    const flags = TCP_FLAGS.exec(rest);
    if (flags !== null) return `tcp ${src}:${sport} > ${dst}:${dport} ${flags[1]}`;
    if (dport === VXLAN_PORT && VXLAN_HEADER.test(rest)) return `udp ${src}:* > ${dst}:${dport} vxlan`;
    return `udp ${src}:${sport} > ${dst}:${dport}`;
  }
  if (rest.startsWith('ICMP ')) return `icmp ${src} > ${dst} ${icmpText(rest.slice(5))}`;
  if (rest.startsWith('igmp')) return null;
  throw new UnreadableTcpdumpLine(text);
}

function describeArp(text: string): string {
  const request = ARP_REQUEST.exec(text);
  if (request !== null) return `arp who-has ${request[1]} tell ${request[2]}`;
  const reply = ARP_REPLY.exec(text);
  if (reply !== null) return `arp reply ${reply[1]}`;
  throw new UnreadableTcpdumpLine(text);
}

/** tcpdump's ICMP text without its id, seq and length. */
function icmpText(text: string): string {
  return text.replace(/, length \d+$/, '').replace(/, id \d+, seq \d+$/, '');
}

/** Nanoseconds since the epoch from tcpdump's `-tt` stamp (micro- or nanosecond precision). */
function stampNs(seconds: string, fraction: string): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0').slice(0, 9));
}

/**
 * Capture lines, with their times, from the text `tcpdump -i any -n -tt` printed inside
 * namespace `netns`; continuation lines and what the format leaves out are skipped.
 */
export function normaliseCapture(netns: string, text: string): TimedLine[] {
  const out: TimedLine[] = [];
  for (const raw of text.split('\n')) {
    if (!TIMESTAMP.test(raw)) continue; // a continuation line or the empty tail
    const m = ANY_LINE.exec(raw);
    if (m === null) throw new UnreadableTcpdumpLine(raw);
    const [, seconds, fraction, dev, dir, rest] = m as unknown as [string, string, string, string, string, string];
    const described = describePacket(rest);
    if (described === null) continue;
    out.push({ time: stampNs(seconds, fraction), line: `${netns} ${dev} ${dir === 'Out' ? 'out' : 'in'} ${described}` });
  }
  return out;
}

/**
 * Merges the captures of several namespaces (all stamped by one clock) into causal order:
 * by time, and where two stamps are equal, in the order the captures were given (each
 * capture keeps its own order).
 */
export function mergeCaptures(captures: readonly TimedLine[][]): string[] {
  const all: { time: bigint; capture: number; index: number; line: string }[] = [];
  captures.forEach((lines, capture) => lines.forEach((l, index) => all.push({ ...l, capture, index })));
  all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.capture - b.capture || a.index - b.index));
  return all.map((e) => e.line);
}
