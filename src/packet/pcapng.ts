/**
 * A pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface
 * Description Block per (namespace, interface) the first time a frame is added on it, and
 * one Enhanced Packet Block per frame. Little-endian, link type Ethernet, nanosecond
 * timestamps (if_tsresol 9), so dpsim's virtual clock goes in unchanged.
 *
 * Interface names: if_name is "NETNS/DEV" ("n1/eth0"), or plain "DEV" for an empty
 * namespace name, so tshark's `frame.interface_name` tells the namespace apart.
 */
import { writeFileSync } from 'node:fs';

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const LINKTYPE_ETHERNET = 1;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const EPB_FLAGS = 2;

/** Which way a frame crossed its interface, as the EPB flags word records it. */
export type Direction = 'in' | 'out';

/** Builds a pcapng file in memory, frame by frame. */
export class PcapngWriter {
  private readonly blocks: Uint8Array[] = [];
  private readonly interfaces = new Map<string, number>();

  constructor(application = 'dpsim') {
    this.blocks.push(block(BT_SHB, [u32(BYTE_ORDER_MAGIC), u16(1), u16(0), u32(0xffffffff), u32(0xffffffff)], [[SHB_USERAPPL, utf8(application)]]));
  }

  /** The name given to NETNS/DEV in the file. */
  static interfaceName(netns: string, dev: string): string {
    return netns === '' ? dev : `${netns}/${dev}`;
  }

  /** The interface id of NETNS/DEV, declaring it with an IDB the first time. */
  interfaceId(netns: string, dev: string): number {
    const name = PcapngWriter.interfaceName(netns, dev);
    let id = this.interfaces.get(name);
    if (id === undefined) {
      id = this.interfaces.size;
      this.interfaces.set(name, id);
      // LinkType, reserved, SnapLen 0 (no limit); name and nanosecond resolution.
      this.blocks.push(block(BT_IDB, [u16(LINKTYPE_ETHERNET), u16(0), u32(0)], [[IF_NAME, utf8(name)], [IF_TSRESOL, Uint8Array.of(9)]]));
    }
    return id;
  }

  /** Adds a frame seen on NETNS/DEV at virtual time `timeNs` (nanoseconds, an integer), optionally with its direction. */
  addFrame(netns: string, dev: string, timeNs: number, frame: Uint8Array, direction?: Direction): void {
    if (!(Number.isSafeInteger(timeNs) && timeNs >= 0)) throw new RangeError(`timestamp ${timeNs} is not a whole number of nanoseconds`);
    const id = this.interfaceId(netns, dev);
    const options: Option[] = direction === undefined ? [] : [[EPB_FLAGS, u32(direction === 'in' ? 1 : 2)]];
    const high = Math.floor(timeNs / 0x100000000);
    const low = timeNs >>> 0;
    this.blocks.push(block(BT_EPB, [u32(id), u32(high), u32(low), u32(frame.length), u32(frame.length), padded(frame)], options));
  }

  /** The file so far. */
  toBytes(): Uint8Array {
    let length = 0;
    for (const b of this.blocks) length += b.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const b of this.blocks) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  /** Writes the file so far to `path`. */
  writeFile(path: string): void {
    writeFileSync(path, this.toBytes());
  }
}

type Option = [code: number, value: Uint8Array];

/** A block: type, total length, body fields, options (with end-of-options when any), total length again. */
function block(type: number, body: Uint8Array[], options: Option[]): Uint8Array {
  const parts: Uint8Array[] = [...body];
  for (const [code, value] of options) parts.push(u16(code), u16(value.length), padded(value));
  if (options.length > 0) parts.push(u16(OPT_ENDOFOPT), u16(0));
  let length = 12;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, length, true);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  view.setUint32(at, length, true);
  return out;
}

/** `bytes` padded with zeros to a multiple of 4. */
function padded(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 4 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 4 - (bytes.length % 4));
  out.set(bytes);
  return out;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

function u32(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
