/**
 * The IPVS connection table (ip_vs_conn.c): 4096 hash chains (IP_VS_CONN_TAB_BITS 12, the
 * "size=4096" ipvsadm prints), one set keyed by the client side (protocol, client, virtual
 * service) for packets from clients, one by the real-server side (protocol, real server,
 * client) for replies. Lookups allocate nothing.
 */
import type { IpvsConn } from './conn.js';
import { IP_VS_CONN_F_TEMPLATE } from './service.js';

export const IP_VS_CONN_TAB_BITS = 12;
export const IP_VS_CONN_TAB_SIZE = 1 << IP_VS_CONN_TAB_BITS;
const MASK = IP_VS_CONN_TAB_SIZE - 1;

function hashKey(proto: number, a: number, aport: number, b: number, bport: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ ((aport << 16) | bport) ^ (h >>> 13), 0x27d4eb2f);
  h ^= proto ^ (h >>> 16);
  return h & MASK;
}

export class IpvsConnTable {
  private readonly inTab: (IpvsConn | null)[] = new Array(IP_VS_CONN_TAB_SIZE).fill(null);
  private readonly outTab: (IpvsConn | null)[] = new Array(IP_VS_CONN_TAB_SIZE).fill(null);
  private head: IpvsConn | null = null;
  private tail: IpvsConn | null = null;
  count = 0;

  insert(c: IpvsConn): void {
    const hi = hashKey(c.proto, c.caddr, c.cport, c.vaddr, c.vport);
    c.nextIn = this.inTab[hi]!;
    this.inTab[hi] = c;
    const ho = hashKey(c.proto, c.daddr, c.dport, c.caddr, c.cport);
    c.nextOut = this.outTab[ho]!;
    this.outTab[ho] = c;
    c.prevAll = this.tail;
    c.nextAll = null;
    if (this.tail !== null) this.tail.nextAll = c;
    else this.head = c;
    this.tail = c;
    c.hashed = true;
    this.count++;
  }

  remove(c: IpvsConn): void {
    if (!c.hashed) return;
    const hi = hashKey(c.proto, c.caddr, c.cport, c.vaddr, c.vport);
    let p: IpvsConn | null = this.inTab[hi]!;
    if (p === c) this.inTab[hi] = c.nextIn;
    else {
      while (p !== null && p.nextIn !== c) p = p.nextIn;
      if (p !== null) p.nextIn = c.nextIn;
    }
    const ho = hashKey(c.proto, c.daddr, c.dport, c.caddr, c.cport);
    p = this.outTab[ho]!;
    if (p === c) this.outTab[ho] = c.nextOut;
    else {
      while (p !== null && p.nextOut !== c) p = p.nextOut;
      if (p !== null) p.nextOut = c.nextOut;
    }
    if (c.prevAll !== null) c.prevAll.nextAll = c.nextAll;
    else this.head = c.nextAll;
    if (c.nextAll !== null) c.nextAll.prevAll = c.prevAll;
    else this.tail = c.prevAll;
    c.nextIn = c.nextOut = c.prevAll = c.nextAll = null;
    c.hashed = false;
    this.count--;
  }

  /** ip_vs_conn_in_get (template = false) and ip_vs_ct_in_get (template = true). */
  inGet(proto: number, caddr: number, cport: number, vaddr: number, vport: number, template: boolean): IpvsConn | null {
    for (let c: IpvsConn | null = this.inTab[hashKey(proto, caddr, cport, vaddr, vport)]!; c !== null; c = c.nextIn) {
      if (c.caddr === caddr && c.cport === cport && c.vaddr === vaddr && c.vport === vport && c.proto === proto && ((c.flags & IP_VS_CONN_F_TEMPLATE) !== 0) === template)
        return c;
    }
    return null;
  }

  /** ip_vs_conn_out_get: a reply from daddr:dport to caddr:cport. */
  outGet(proto: number, daddr: number, dport: number, caddr: number, cport: number): IpvsConn | null {
    for (let c: IpvsConn | null = this.outTab[hashKey(proto, daddr, dport, caddr, cport)]!; c !== null; c = c.nextOut) {
      if (c.daddr === daddr && c.dport === dport && c.caddr === caddr && c.cport === cport && c.proto === proto && (c.flags & IP_VS_CONN_F_TEMPLATE) === 0)
        return c;
    }
    return null;
  }

  /** Every connection, oldest first. */
  *all(): IterableIterator<IpvsConn> {
    for (let c = this.head; c !== null; ) {
      const next = c.nextAll;
      yield c;
      c = next;
    }
  }
}
